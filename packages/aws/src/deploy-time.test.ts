/**
 * The deploy time of a lane stack moves only when a deploy changes the stack: a deploy of exactly what runs keeps
 * it, so that CloudFormation gets an empty change set.
 */
import { LIFECYCLE_TAGS } from '@ecs-lanes/core';
import { describe, expect, it } from 'vitest';
import { type LaneStackState, tagsKeepingDeployTime } from './deploy-time.js';

const at = LIFECYCLE_TAGS.deployedAt;
const running: LaneStackState = {
  status: 'UPDATE_COMPLETE',
  templateBody: '{"Metadata":{"EcsLanes::Config":{"history":[]}},"Resources":{}}',
  parameters: { ImageUri: 'repo/orders:v2', RulePriority: '7' },
  tags: { 'ecs-lanes:image-tag': 'v2', [at]: '2026-01-01T00:00:00.000Z', 'ecs-lanes:expires-at': 'x' },
};
const now = '2026-01-02T00:00:00.000Z';
const same: LaneStackState = { ...running, tags: { ...running.tags, [at]: now } };

describe('the deploy time of a lane stack', () => {
  it('is kept when the deploy submits the running template, parameters and other tags', () => {
    expect(tagsKeepingDeployTime(same, running)[at]).toBe('2026-01-01T00:00:00.000Z');
  });

  it.each<[string, Partial<LaneStackState>]>([
    ['the template differs in any byte (its config record)', { templateBody: `${running.templateBody} ` }],
    ['a parameter differs', { parameters: { ...running.parameters, ImageUri: 'repo/orders:v1' } }],
    ['another tag differs (the expiry moved)', { tags: { ...same.tags, 'ecs-lanes:expires-at': 'y' } }],
  ])('moves when %s', (_, change) => {
    expect(tagsKeepingDeployTime({ ...same, ...change }, running)[at]).toBe(now);
  });

  it.each(['ROLLBACK_COMPLETE', 'REVIEW_IN_PROGRESS', 'UPDATE_ROLLBACK_FAILED'])(
    'moves when the stack is in %s (deployed anew, or not what runs)',
    (status) => {
      expect(tagsKeepingDeployTime(same, { ...running, status })[at]).toBe(now);
    },
  );

  it('moves for a new stack', () => {
    expect(tagsKeepingDeployTime(same, undefined)[at]).toBe(now);
  });
});
