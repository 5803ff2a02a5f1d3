import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfigOrThrow } from '@ecs-lanes/core';
import { describe, expect, it } from 'vitest';
import { laneMap } from './lane-map.js';

const config = loadConfigOrThrow(
  readFileSync(path.resolve(import.meta.dirname, '../../../../examples/lanes.yaml'), 'utf8'),
);
const env = config.environments.find((e) => e.name === 'dev')!;

describe('the lane map reads the lifecycle the targets report', () => {
  it("takes a cell's cost per day from its cost estimate, and keeps owner and expiry", () => {
    const map = laneMap(config, env, [
      {
        service: 'orders',
        env: 'dev',
        lane: 'gray',
        baseline: false,
        state: 'serving',
        running: 1,
        desired: 1,
        healthy: 1,
        owner: 'ana',
        expiresAt: '2026-12-04T12:00:00.000Z',
        cost: {
          perDay: 0.5924,
          tasks: 2,
          vcpu: 0.25,
          memoryGiB: 0.5,
          currency: 'USD',
          region: 'us-east-1',
          priceSource: 'table',
        },
      },
    ]);
    expect(map.cells[0]).toMatchObject({
      costPerDay: 0.5924,
      owner: 'ana',
      expiresAt: '2026-12-04T12:00:00.000Z',
    });
  });
});
