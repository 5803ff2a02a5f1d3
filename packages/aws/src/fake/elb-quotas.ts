/**
 * The fake's ELB quotas: rules per Application Load Balancer (the default rules not counted), target groups per
 * action and distinct target groups per Application Load Balancer, checked when a listener rule is created or
 * changed. Every target group of every action counts: a forward's `TargetGroupArn` and each group of its
 * `ForwardConfig.TargetGroups`, whatever its weight (a rolling lane's rule forwards to the baseline's group with
 * weight 100 and to its own with weight 0: both are in use).
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html
 *   ("Quotas for your Application Load Balancers": "Rules per Application Load Balancer (excluding default
 *   rules)": 100, adjustable; "Target Groups per Action per Application Load Balancer": 5, not adjustable;
 *   "Target Groups per Application Load Balancer": 100, not adjustable)
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateRule.html
 *   (errors `TooManyRules`: "You've reached the limit on the number of rules per load balancer";
 *   `TooManyUniqueTargetGroupsPerLoadBalancer`: "You've reached the limit on the number of unique target groups
 *   per load balancer across all listeners. If a target group is used by multiple actions for a load balancer,
 *   it is counted as only one use.")
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Action.html
 *   (`TargetGroupArn` and `ForwardConfig` together name one and the same target group)
 */

/** The quotas the fake enforces per load balancer. */
export interface ElbQuotas {
  /** Rules per ALB, default rules not counted (adjustable in a real account). @default 100 */
  readonly rulesPerAlb: number;
  /** Distinct target groups per ALB across all its listeners (not adjustable). @default 100 */
  readonly targetGroupsPerAlb: number;
  /** Target groups one action forwards to (not adjustable). @default 5 */
  readonly targetGroupsPerAction: number;
}

/** Target groups per action per Application Load Balancer (the page above; not adjustable). */
export const TARGET_GROUPS_PER_ACTION = 5;

/** The default quotas of an AWS account. */
export const DEFAULT_ELB_QUOTAS: ElbQuotas = Object.freeze({
  rulesPerAlb: 100,
  targetGroupsPerAlb: 100,
  targetGroupsPerAction: TARGET_GROUPS_PER_ACTION,
});

/** One rule as the quotas see it: the target groups of each of its actions. */
export interface QuotaRuleView {
  readonly arn: string;
  /** Per action, the target groups it forwards to (any weight, 0 included). */
  readonly actions: readonly (readonly string[])[];
}

/** What one listener of the load balancer holds. */
export interface QuotaListenerView {
  /** The target groups of the listener's default actions (one for a plain forward). */
  readonly defaultTargetGroupArns: readonly string[];
  readonly rules: readonly QuotaRuleView[];
}

/**
 * The target groups of each action of `actions` (a rule's or listener's `Actions`, intrinsics resolved): a
 * forward's `TargetGroupArn` and every `ForwardConfig.TargetGroups[].TargetGroupArn`, whatever the weight, each
 * group once per action. Actions without a target group (fixed-response, redirect) give an empty list.
 */
export function actionTargetGroups(actions: unknown): string[][] {
  if (!Array.isArray(actions)) return [];
  return actions.map((action) => {
    const a = (action ?? {}) as {
      TargetGroupArn?: unknown;
      ForwardConfig?: { TargetGroups?: { TargetGroupArn?: unknown }[] };
    };
    const arns = [a.TargetGroupArn, ...(a.ForwardConfig?.TargetGroups ?? []).map((g) => g?.TargetGroupArn)];
    return [...new Set(arns.filter((arn): arn is string => typeof arn === 'string'))];
  });
}

/**
 * The error CreateRule/ModifyRule would return for `change` on a load balancer with `listeners`, or undefined
 * when it fits. `change.actions` holds the target groups of each action of the new rule; `change.replaces` is
 * the rule being modified (not counted twice).
 */
export function ruleQuotaError(
  listeners: readonly QuotaListenerView[],
  change: { readonly actions: readonly (readonly string[])[]; readonly replaces?: string },
  quotas: ElbQuotas,
): { readonly code: string; readonly message: string } | undefined {
  const perAction = quotas.targetGroupsPerAction;
  const crowded = change.actions.find((groups) => new Set(groups).size > perAction);
  if (crowded) {
    // AWS documents the quota but not the error code it answers with; the fake refuses strictly
    // (docs/aws-fidelity.md).
    return {
      code: 'TooManyTargetGroupsPerAction',
      message: `An action can forward to at most ${perAction} target groups (Target Groups per Action per Application Load Balancer), this one names ${new Set(crowded).size}`,
    };
  }
  const rules = listeners.flatMap((l) => l.rules).filter((r) => r.arn !== change.replaces);
  if (change.replaces === undefined && rules.length + 1 > quotas.rulesPerAlb) {
    return {
      code: 'TooManyRules',
      message: "You've reached the limit on the number of rules per load balancer",
    };
  }
  const groups = new Set([
    ...listeners.flatMap((l) => l.defaultTargetGroupArns),
    ...rules.flatMap((r) => r.actions.flat()),
    ...change.actions.flat(),
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
