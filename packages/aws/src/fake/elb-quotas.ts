/**
 * The fake's ELB quotas: rules per Application Load Balancer (the default rules not counted) and distinct
 * target groups per Application Load Balancer, checked when a listener rule is created or changed.
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html
 *   ("Rules per Application Load Balancer (excluding default rules)": 100; "Target Groups per Application Load
 *   Balancer": 100, not adjustable)
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateRule.html
 *   (errors `TooManyRules`: "You've reached the limit on the number of rules per load balancer";
 *   `TooManyUniqueTargetGroupsPerLoadBalancer`: "You've reached the limit on the number of unique target groups
 *   per load balancer across all listeners. If a target group is used by multiple actions for a load balancer,
 *   it is counted as only one use.")
 */

/** The quotas the fake enforces per load balancer. */
export interface ElbQuotas {
  /** Rules per ALB, default rules not counted (adjustable in a real account). @default 100 */
  readonly rulesPerAlb: number;
  /** Distinct target groups per ALB across all its listeners (not adjustable). @default 100 */
  readonly targetGroupsPerAlb: number;
}

/** The default quotas of an AWS account. */
export const DEFAULT_ELB_QUOTAS: ElbQuotas = Object.freeze({ rulesPerAlb: 100, targetGroupsPerAlb: 100 });

/** What one listener of the load balancer holds. */
export interface QuotaListenerView {
  readonly defaultTargetGroupArn: string;
  readonly rules: readonly { readonly arn: string; readonly targetGroupArn: string }[];
}

/**
 * The error CreateRule/ModifyRule would return for `change` on a load balancer with `listeners`, or undefined
 * when it fits. `change.replaces` is the rule being modified (not counted twice).
 */
export function ruleQuotaError(
  listeners: readonly QuotaListenerView[],
  change: { readonly targetGroupArn: string; readonly replaces?: string },
  quotas: ElbQuotas,
): { readonly code: string; readonly message: string } | undefined {
  const rules = listeners.flatMap((l) => l.rules).filter((r) => r.arn !== change.replaces);
  if (change.replaces === undefined && rules.length + 1 > quotas.rulesPerAlb) {
    return {
      code: 'TooManyRules',
      message: "You've reached the limit on the number of rules per load balancer",
    };
  }
  const groups = new Set([
    ...listeners.map((l) => l.defaultTargetGroupArn),
    ...rules.map((r) => r.targetGroupArn),
    change.targetGroupArn,
  ]);
  if (groups.size > quotas.targetGroupsPerAlb) {
    return {
      code: 'TooManyUniqueTargetGroupsPerLoadBalancer',
      message:
        "You've reached the limit on the number of unique target groups per load balancer across all listeners",
    };
  }
  return undefined;
}
