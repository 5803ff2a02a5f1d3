import { describe, expect, it } from 'vitest';
import { actionTargetGroups, DEFAULT_ELB_QUOTAS, ruleQuotaError } from './elb-quotas.js';

/** A listener with `rules` rules, each forwarding to its own target group, or all to one (`shared`). */
const listener = (rules: number, defaultTg = 'tg-default', shared?: string) => ({
  defaultTargetGroupArns: [defaultTg],
  rules: Array.from({ length: rules }, (_, i) => ({ arn: `rule-${i}`, actions: [[shared ?? `tg-${i}`]] })),
});

/** A new rule forwarding to `groups` in one action. */
const forwardingTo = (...groups: string[]) => ({ actions: [groups] });

describe('ELB quotas per Application Load Balancer', () => {
  it('allows the 100th rule and refuses the 101st with TooManyRules (default rules not counted)', () => {
    const one = (n: number) => listener(n, 'tg-default', 'tg-shared');
    expect(ruleQuotaError([one(99)], forwardingTo('tg-new'), DEFAULT_ELB_QUOTAS)).toBeUndefined();
    expect(ruleQuotaError([one(100)], forwardingTo('tg-new'), DEFAULT_ELB_QUOTAS)?.code).toBe('TooManyRules');
  });

  it('counts the rules of every listener of the load balancer', () => {
    expect(
      ruleQuotaError([listener(60), listener(40, 'tg-x')], forwardingTo('tg-new'), DEFAULT_ELB_QUOTAS)?.code,
    ).toBe('TooManyRules');
  });

  it('does not count a modified rule twice', () => {
    expect(
      ruleQuotaError(
        [listener(100, 'tg-default', 'tg-shared')],
        { ...forwardingTo('tg-shared'), replaces: 'rule-0' },
        DEFAULT_ELB_QUOTAS,
      ),
    ).toBeUndefined();
  });

  it('refuses a 101st distinct target group, counting a group used twice once', () => {
    const quotas = { ...DEFAULT_ELB_QUOTAS, rulesPerAlb: 1000 };
    // 99 rule groups + the default group = 100 distinct.
    expect(ruleQuotaError([listener(99)], forwardingTo('tg-5'), quotas)).toBeUndefined();
    expect(ruleQuotaError([listener(99)], forwardingTo('tg-new'), quotas)?.code).toBe(
      'TooManyUniqueTargetGroupsPerLoadBalancer',
    );
  });
});

describe('every target group of a weighted forward counts, whatever its weight', () => {
  const quotas = { ...DEFAULT_ELB_QUOTAS, rulesPerAlb: 1000 };

  it("counts a new rule's every group: the baseline's (weight 100) and the lane's (weight 0)", () => {
    // 98 rule groups + the default = 99; a rule forwarding to two new groups makes 101.
    expect(ruleQuotaError([listener(98)], forwardingTo('tg-default', 'tg-lane'), quotas)).toBeUndefined();
    expect(ruleQuotaError([listener(98)], forwardingTo('tg-blue', 'tg-green'), quotas)?.code).toBe(
      'TooManyUniqueTargetGroupsPerLoadBalancer',
    );
  });

  it("counts the groups of existing rules that forward with weight 0 (a rolling lane's own)", () => {
    const rolling = {
      defaultTargetGroupArns: ['tg-default'],
      rules: Array.from({ length: 98 }, (_, i) => ({
        arn: `rule-${i}`,
        actions: [['tg-default', `tg-${i}`]],
      })),
    };
    // default + 98 lane groups = 99: one more lane fits, a second new group does not.
    expect(ruleQuotaError([rolling], forwardingTo('tg-default', 'tg-new'), quotas)).toBeUndefined();
    expect(ruleQuotaError([rolling], forwardingTo('tg-new', 'tg-newer'), quotas)?.code).toBe(
      'TooManyUniqueTargetGroupsPerLoadBalancer',
    );
  });

  it('counts the groups of every action of the rule, a group named by two actions once', () => {
    expect(ruleQuotaError([listener(98)], { actions: [['tg-new'], ['tg-new']] }, quotas)).toBeUndefined();
    expect(ruleQuotaError([listener(98)], { actions: [['tg-new'], ['tg-other']] }, quotas)?.code).toBe(
      'TooManyUniqueTargetGroupsPerLoadBalancer',
    );
  });

  it('counts the default actions of every listener of the load balancer', () => {
    const other = { defaultTargetGroupArns: ['tg-other-default'], rules: [] };
    expect(ruleQuotaError([listener(98)], forwardingTo('tg-new'), quotas)).toBeUndefined();
    expect(ruleQuotaError([listener(98), other], forwardingTo('tg-new'), quotas)?.code).toBe(
      'TooManyUniqueTargetGroupsPerLoadBalancer',
    );
  });
});

describe('target groups per action (5, not adjustable)', () => {
  const groups = (n: number) => Array.from({ length: n }, (_, i) => `tg-w${i}`);

  it('allows a forward to 5 target groups and refuses one to 6', () => {
    expect(ruleQuotaError([listener(0)], forwardingTo(...groups(5)), DEFAULT_ELB_QUOTAS)).toBeUndefined();
    const error = ruleQuotaError([listener(0)], forwardingTo(...groups(6)), DEFAULT_ELB_QUOTAS);
    expect(error?.code).toBe('TooManyTargetGroupsPerAction');
    expect(error?.message).toMatch(/at most 5 target groups .* names 6/);
  });

  it('counts per action, not per rule', () => {
    expect(
      ruleQuotaError([listener(0)], { actions: [groups(5), ['tg-x', 'tg-y']] }, DEFAULT_ELB_QUOTAS),
    ).toBeUndefined();
  });
});

describe('the target groups of a rule as AWS counts them', () => {
  it('reads a plain forward, a weighted forward (weight 0 included) and actions without a group', () => {
    expect(
      actionTargetGroups([
        { Type: 'forward', TargetGroupArn: 'tg-a' },
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: 'tg-base', Weight: 100 },
              { TargetGroupArn: 'tg-lane', Weight: 0 },
            ],
          },
        },
        { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } },
      ]),
    ).toEqual([['tg-a'], ['tg-base', 'tg-lane'], []]);
  });

  it('counts a group named by both TargetGroupArn and ForwardConfig once', () => {
    expect(
      actionTargetGroups([
        {
          Type: 'forward',
          TargetGroupArn: 'tg-a',
          ForwardConfig: { TargetGroups: [{ TargetGroupArn: 'tg-a' }] },
        },
      ]),
    ).toEqual([['tg-a']]);
  });

  it('gives nothing for what is not a list of actions', () => {
    expect(actionTargetGroups(undefined)).toEqual([]);
  });
});
