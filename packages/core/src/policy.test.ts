import { describe, expect, it } from 'vitest';
import {
  checkDeployPolicy,
  DEFAULT_LANE_POLICY,
  type DeployPolicyInput,
  laneFootprint,
  lanePolicySchema,
  matchesLanePattern,
  PolicyError,
} from './policy.js';

const lanes = [
  { service: 'orders', lane: 'base' },
  { service: 'orders', lane: 'gray' },
  { service: 'orders', lane: 'feat-a' },
  { service: 'web', lane: 'base' },
  { service: 'web', lane: 'feat-b' },
];

function input(over: Partial<DeployPolicyInput>): DeployPolicyInput {
  return {
    policy: DEFAULT_LANE_POLICY,
    service: 'orders',
    lane: 'feat-new',
    baselineLane: 'base',
    lanes,
    footprint: laneFootprint(false, false),
    ...over,
  };
}

describe('the lane policy', () => {
  it('has the documented defaults', () => {
    expect(lanePolicySchema.parse({})).toEqual({
      defaultTtl: '3d',
      maxTtl: '14d',
      gcSchedule: 'rate(1 hour)',
      listenerRuleQuota: 100,
      targetGroupQuota: 100,
    });
  });

  it('refuses a default TTL longer than the maximum', () => {
    const result = lanePolicySchema.safeParse({ defaultTtl: '30d', maxTtl: '14d' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/defaultTtl 30d is longer than maxTtl 14d/);
  });

  it('refuses a target-group quota above the AWS quota, which is not adjustable', () => {
    expect(lanePolicySchema.safeParse({ targetGroupQuota: 101 }).success).toBe(false);
  });

  it.each([
    ['feat-*', 'feat-login', true],
    ['feat-*', 'feat-', true],
    ['feat-*', 'hotfix-1', false],
    ['pr-???', 'pr-123', true],
    ['pr-???', 'pr-1234', false],
    ['gray', 'gray2', false],
  ])('pattern %s matches %s: %s', (pattern, name, expected) => {
    expect(matchesLanePattern(name, pattern)).toBe(expected);
  });

  it('counts one rule and target group per lane, two for blue/green, none for the baseline', () => {
    expect(laneFootprint(false, false)).toEqual({ rules: 1, targetGroups: 1 });
    expect(laneFootprint(false, true)).toEqual({ rules: 2, targetGroups: 2 });
    expect(laneFootprint(true, true)).toEqual({ rules: 0, targetGroups: 0 });
  });
});

describe('a deploy is checked against the policy before anything changes', () => {
  it('allows a new lane within every limit', () => {
    expect(() => checkDeployPolicy(input({}))).not.toThrow();
  });

  it('refuses a lane name no pattern allows, naming the rule and the fix', () => {
    expect(() =>
      checkDeployPolicy(
        input({
          policy: { ...DEFAULT_LANE_POLICY, lanePatterns: ['pr-*'] },
          policyPath: 'environments[0].policy',
        }),
      ),
    ).toThrow(
      /lane name "feat-new" matches none of the allowed patterns "pr-\*" \(environments\[0\]\.policy\.lanePatterns\).*nothing was changed/,
    );
  });

  it('refuses a lane beyond the most per service (the baseline not counted)', () => {
    expect(() =>
      checkDeployPolicy(input({ policy: { ...DEFAULT_LANE_POLICY, maxLanesPerService: 2 } })),
    ).toThrow(
      /service orders already has 2 lanes besides the baseline, the most policy\.maxLanesPerService allows \(2\)/,
    );
    expect(() =>
      checkDeployPolicy(input({ policy: { ...DEFAULT_LANE_POLICY, maxLanesPerService: 3 } })),
    ).not.toThrow();
  });

  it('refuses a lane beyond the most per environment', () => {
    expect(() =>
      checkDeployPolicy(
        input({ service: 'web', policy: { ...DEFAULT_LANE_POLICY, maxLanesPerEnvironment: 3 } }),
      ),
    ).toThrow(PolicyError);
  });

  it('always allows redeploying an existing lane and the baseline', () => {
    const strict = { ...DEFAULT_LANE_POLICY, maxLanesPerService: 1, lanePatterns: ['pr-*'] };
    expect(() => checkDeployPolicy(input({ lane: 'gray', policy: strict }))).not.toThrow();
    expect(() => checkDeployPolicy(input({ lane: 'base', policy: strict }))).not.toThrow();
  });

  it('refuses a lane whose rules would not fit under the listener-rule quota', () => {
    const budget = {
      service: 'orders',
      rules: { used: 99, quota: 100 },
      targetGroups: { used: 10, quota: 100 },
    };
    expect(() => checkDeployPolicy(input({ budget }))).not.toThrow();
    expect(() => checkDeployPolicy(input({ budget, footprint: laneFootprint(false, true) }))).toThrow(
      /lane feat-new needs 2 listener rules on the ALB of orders, which uses 99 of its 100 rules/,
    );
  });

  it('refuses a lane whose target groups would not fit under the target-group quota', () => {
    const budget = {
      service: 'orders',
      rules: { used: 3, quota: 100 },
      targetGroups: { used: 100, quota: 100 },
    };
    expect(() => checkDeployPolicy(input({ budget }))).toThrow(
      /needs 1 target group on the ALB of orders, which forwards to 100 of at most 100/,
    );
  });
});
