/**
 * `lanes deploy` on AWS: the branch decides what is built (its tip), or an explicit commit, which the run
 * carries both as the `commit` variable and as the App source's revision (`sourceRevisions` COMMIT_ID), as
 * docs/pipelines.md says.
 */
import { LANE_TAGS, laneNames, UserError } from '@ecs-lanes/core';
import { describe, expect, it } from 'vitest';
import { createFakeWorld } from './fake/index.js';
import { createAwsTarget } from './target.js';

const COMMIT = '3f2a1bc9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3';

describe('lanes deploy --commit on AWS', () => {
  it('starts the run with the commit as the App source revision and builds exactly it', async () => {
    const w = createFakeWorld();
    await w.bootstrap('orders');
    const result = await createAwsTarget(w.options).deploy({
      service: 'orders',
      env: 'dev',
      lane: 'gray',
      branch: 'feat',
      commit: COMMIT,
    });
    const execution = w.fake.execution(result.executionId!)!;
    expect(execution.sourceRevisions).toEqual({ AppSource: COMMIT });
    expect(execution.variables).toMatchObject({ lane: 'gray', branch: 'feat', commit: COMMIT });
    const stack = w.fake.stack(laneNames('orders', 'dev', 'gray').stack)!;
    expect(stack.tags[LANE_TAGS.imageTag]).toBe(COMMIT.slice(0, 12));
    expect(stack.tags[LANE_TAGS.branch]).toBe('feat');
  });

  it('without --commit, the run carries no source revision and the commit variable keeps its default (the branch tip)', async () => {
    const w = createFakeWorld();
    await w.bootstrap('orders');
    const result = await createAwsTarget(w.options).deploy({
      service: 'orders',
      env: 'dev',
      lane: 'gray',
      branch: 'feat',
    });
    const execution = w.fake.execution(result.executionId!)!;
    expect(execution.sourceRevisions).toEqual({});
    expect(execution.variables.commit).toBe('tip');
  });

  it('refuses a short or malformed commit before starting anything', async () => {
    const w = createFakeWorld();
    await w.bootstrap('orders');
    const before = w.fake.snapshot();
    const error = await createAwsTarget(w.options)
      .deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'feat', commit: '3f2a1bc' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(
      'invalid --commit: "3f2a1bc" is not a full commit id (40 lowercase hexadecimal digits); get it with: git rev-parse <branch or short id>',
    );
    expect(w.fake.snapshot()).toEqual(before);
  });
});
