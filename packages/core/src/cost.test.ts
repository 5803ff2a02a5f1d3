import { describe, expect, it } from 'vitest';
import { estimateLaneCost, FARGATE_PRICE_TABLE, formatUsd, pricesFor, totalPerDay } from './cost.js';

const useast1 = pricesFor('us-east-1')!;

describe('the cost of a lane', () => {
  it('is tasks × (vCPU × vCPU-hour + GiB × GB-hour) × 24 at the table price', () => {
    // 2 tasks of 0.25 vCPU and 0.5 GiB: 2 × (0.25 × 0.04048 + 0.5 × 0.004445) × 24 = 0.59244
    const cost = estimateLaneCost({ tasks: 2, cpu: 256, memory: 512, prices: useast1 });
    expect(cost.perDay).toBe(0.5924);
    expect(cost).toMatchObject({
      tasks: 2,
      vcpu: 0.25,
      memoryGiB: 0.5,
      currency: 'USD',
      region: 'us-east-1',
    });
    expect(cost.perDeploy).toBeUndefined();
  });

  it('says which dated table the price comes from', () => {
    expect(useast1.source).toBe(`${FARGATE_PRICE_TABLE.source} (${FARGATE_PRICE_TABLE.date})`);
  });

  it('costs nothing with no tasks', () => {
    expect(estimateLaneCost({ tasks: 0, cpu: 1024, memory: 2048, prices: useast1 }).perDay).toBe(0);
  });

  it('adds, per blue/green deploy, the green tasks for the bake time and one hook invocation', () => {
    // 1 task of 1 vCPU, 2 GiB for 30 minutes: (0.04048 + 2 × 0.004445) × 0.5 = 0.024685
    // hook: 0.0000002 + 0.125 GB × 30 s × 0.0000166667 = 0.0000627
    const cost = estimateLaneCost({
      tasks: 1,
      cpu: 1024,
      memory: 2048,
      prices: useast1,
      blueGreenBakeMinutes: 30,
    });
    expect(cost.perDeploy).toBe(0.0247);
    expect(cost.perDay).toBe(1.1849);
  });

  it('uses the prices of lanes.yaml over the table, and has none for a region the table lacks', () => {
    expect(pricesFor('ap-south-2')).toBeUndefined();
    const own = pricesFor('ap-south-2', {
      vcpuHour: 0.1,
      gbHour: 0.01,
      lambdaGbSecond: 0,
      lambdaRequest: 0,
      source: 'our contract, 2026-11',
    })!;
    expect(estimateLaneCost({ tasks: 1, cpu: 1024, memory: 1024, prices: own }).perDay).toBe(2.64);
    expect(own.source).toBe('lanes.yaml prices (our contract, 2026-11)');
  });

  it('totals an environment, counting lanes without an estimate as nothing', () => {
    const a = estimateLaneCost({ tasks: 1, cpu: 256, memory: 512, prices: useast1 });
    expect(totalPerDay([a, undefined, a])).toBe(0.5924);
    expect(formatUsd(0.5924)).toBe('$0.59');
    expect(formatUsd(0.0031)).toBe('$0.0031');
  });
});
