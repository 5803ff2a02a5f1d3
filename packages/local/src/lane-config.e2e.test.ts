/**
 * A lane's configuration on the local target, with real processes: the value a deploy resolves from
 * `.lanes/config/{env}.yaml` is what the lane's process reads (the example services echo FEATURE_FLAG), a lane
 * override beats the service-wide value, and a rollback restores the configuration the previous version ran with.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, demoEnvironment, e2ePort, projectDir, request } from './e2e-helpers.js';
import type { LocalEnvironment } from './environment.js';
import { createLocalConfigStore } from './lane-config.js';

const dir = projectDir('config');
let env: LocalEnvironment;
const orders = `http://127.0.0.1:${e2ePort(103)}/`;
const set = (value: string) => ({ kind: 'set' as const, key: 'FEATURE_FLAG', value, secure: false });
const flag = async (lane?: string) =>
  ((await request(orders, lane)) as unknown as { featureFlag?: string }).featureFlag;

beforeAll(async () => {
  env = await demoEnvironment(dir, e2ePort(100));
});
afterAll(() => cleanup(env, dir));

describe('lane configuration on the local target', () => {
  it('gives each lane its effective set at deploy time, and rollback restores the previous one', async () => {
    const store = createLocalConfigStore({ config: env.config, root: dir, env: 'local' });
    await store.change({ service: 'orders', env: 'local' }, set('off'), false);
    await store.change({ service: 'orders', env: 'local', lane: 'gray' }, set('on'), false);
    await env.up();
    const gray = await env.deploy({ service: 'orders', env: 'local', lane: 'gray', branch: 'gray' });
    expect(gray.actions[0]).toBe('config: FEATURE_FLAG=on');
    expect(await flag()).toBe('off');
    expect(await flag('gray')).toBe('on');

    // A new service-wide value reaches the baseline at its next deploy (same commit: only the config changed).
    await store.change({ service: 'orders', env: 'local' }, set('half'), false);
    expect(await flag()).toBe('off');
    await env.deploy({ service: 'orders', env: 'local', lane: 'base' });
    expect(await flag()).toBe('half');
    expect(await flag('gray')).toBe('on');

    const back = await env.rollback({ service: 'orders', env: 'local', lane: 'base' });
    expect(back.actions[0]).toBe('config: FEATURE_FLAG=off (as the previous version ran)');
    expect(await flag()).toBe('off');
  });
});
