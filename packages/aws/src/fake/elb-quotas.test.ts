import { describe, expect, it } from 'vitest';
import { DEFAULT_ELB_QUOTAS, ruleQuotaError } from './elb-quotas.js';

/** A listener with `rules` rules, each forwarding to its own target group, or all to one (`shared`). */
const listener = (rules: number, defaultTg = 'tg-default', shared?: string) => ({
  defaultTargetGroupArn: defaultTg,
  rules: Array.from({ length: rules }, (_, i) => ({ arn: `rule-${i}`, targetGroupArn: shared ?? `tg-${i}` })),
});

describe('ELB quotas per Application Load Balancer', () => {
  it('allows the 100th rule and refuses the 101st with TooManyRules (default rules not counted)', () => {
    const one = (n: number) => listener(n, 'tg-default', 'tg-shared');
    expect(ruleQuotaError([one(99)], { targetGroupArn: 'tg-new' }, DEFAULT_ELB_QUOTAS)).toBeUndefined();
    expect(ruleQuotaError([one(100)], { targetGroupArn: 'tg-new' }, DEFAULT_ELB_QUOTAS)?.code).toBe(
      'TooManyRules',
    );
  });

  it('counts the rules of every listener of the load balancer', () => {
    expect(
      ruleQuotaError([listener(60), listener(40, 'tg-x')], { targetGroupArn: 'tg-new' }, DEFAULT_ELB_QUOTAS)
        ?.code,
    ).toBe('TooManyRules');
  });

  it('does not count a modified rule twice', () => {
    expect(
      ruleQuotaError(
        [listener(100, 'tg-default', 'tg-shared')],
        { targetGroupArn: 'tg-shared', replaces: 'rule-0' },
        DEFAULT_ELB_QUOTAS,
      ),
    ).toBeUndefined();
  });

  it('refuses a 101st distinct target group, counting a group used twice once', () => {
    const quotas = { rulesPerAlb: 1000, targetGroupsPerAlb: 100 };
    // 99 rule groups + the default group = 100 distinct.
    expect(ruleQuotaError([listener(99)], { targetGroupArn: 'tg-5' }, quotas)).toBeUndefined();
    expect(ruleQuotaError([listener(99)], { targetGroupArn: 'tg-new' }, quotas)?.code).toBe(
      'TooManyUniqueTargetGroupsPerLoadBalancer',
    );
  });
});
