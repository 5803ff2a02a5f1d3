/**
 * An environment's lane policy (`environments[].policy` in `lanes.yaml`): how long lanes live, how many there
 * may be, which names they may take, and the ALB quotas their rules and target groups count against. The
 * deploy commands check it before anything changes ({@link checkDeployPolicy}).
 *
 * Pure.
 */
import { z } from 'zod';
import { parseDuration } from './lifecycle.js';
import { UserError } from './target.js';

/**
 * Default quota of rules per Application Load Balancer, not counting default rules (adjustable), and of
 * target groups per Application Load Balancer (not adjustable).
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html
 *   ("Quotas for your Application Load Balancers": Rules per Application Load Balancer 100; Target Groups per
 *   Application Load Balancer 100)
 */
export const DEFAULT_ALB_QUOTAS = Object.freeze({ rules: 100, targetGroups: 100 });

/** How often the scheduled job of an AWS environment runs `lanes gc`. */
export const DEFAULT_GC_SCHEDULE = 'rate(1 hour)';
/** TTL of a lane deployed without `--ttl`. */
export const DEFAULT_TTL = '3d';
/** Longest TTL a lane may be given. */
export const DEFAULT_MAX_TTL = '14d';

const duration = z.string().superRefine((text, ctx) => {
  const parsed = parseDuration(text);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
});

const lanePattern = z
  .string()
  .regex(
    /^[a-z0-9*?-]{1,16}$/,
    'expected a lane-name pattern: lowercase letters, digits, hyphens, * (any characters) and ? (one character), for example "feat-*"',
  );

/** The schema of `environments[].policy`. Every key is optional; see each for its default. */
export const lanePolicySchema = z
  .strictObject({
    /** TTL of a lane deployed without `--ttl`. @default '3d' */
    defaultTtl: duration.default(DEFAULT_TTL),
    /** Longest TTL `--ttl` and `lanes extend` may give. @default '14d' */
    maxTtl: duration.default(DEFAULT_MAX_TTL),
    /** Most short-lived lanes (the baseline not counted) one service may have. @default no limit */
    maxLanesPerService: z.number().int().min(1).max(1000).optional(),
    /** Most short-lived lanes (baselines not counted) the whole environment may have. @default no limit */
    maxLanesPerEnvironment: z.number().int().min(1).max(10000).optional(),
    /** Glob patterns a new lane's name must match (the baseline always may). @default any valid lane name */
    lanePatterns: z.array(lanePattern).min(1, 'list at least one pattern, or remove lanePatterns').optional(),
    /** Rules per ALB, not counting the default rule (raise it when AWS raised yours). @default 100 */
    listenerRuleQuota: z.number().int().min(1).max(10000).default(DEFAULT_ALB_QUOTAS.rules),
    /**
     * When the environment layer's scheduled job runs `lanes gc` on AWS (an EventBridge Scheduler expression).
     * @see https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
     * @default 'rate(1 hour)'
     */
    gcSchedule: z
      .string()
      .regex(
        /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$/,
        'expected an EventBridge Scheduler expression such as "rate(1 hour)" or "cron(0 3 * * ? *)"',
      )
      .default(DEFAULT_GC_SCHEDULE),
    /** Target groups per ALB (a fixed AWS quota; lower it to keep headroom). @default 100 */
    targetGroupQuota: z
      .number()
      .int()
      .min(1)
      .max(DEFAULT_ALB_QUOTAS.targetGroups)
      .default(DEFAULT_ALB_QUOTAS.targetGroups),
  })
  .superRefine((policy, ctx) => {
    const def = parseDuration(policy.defaultTtl);
    const max = parseDuration(policy.maxTtl);
    if (def.ok && max.ok && def.ms > max.ms) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultTtl'],
        message: `defaultTtl ${policy.defaultTtl} is longer than maxTtl ${policy.maxTtl}; shorten defaultTtl or raise maxTtl`,
      });
    }
  });

/** An environment's lane policy with every default applied. */
export type LanePolicy = z.output<typeof lanePolicySchema>;

/** The policy of an environment that declares none. */
export const DEFAULT_LANE_POLICY: LanePolicy = Object.freeze({
  defaultTtl: DEFAULT_TTL,
  maxTtl: DEFAULT_MAX_TTL,
  gcSchedule: DEFAULT_GC_SCHEDULE,
  listenerRuleQuota: DEFAULT_ALB_QUOTAS.rules,
  targetGroupQuota: DEFAULT_ALB_QUOTAS.targetGroups,
});

/** True when `name` matches the glob `pattern` (`*` any characters, `?` one). */
export function matchesLanePattern(name: string, pattern: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(name);
}

/** Rules and target groups on the ALB a lane takes: none for the baseline, one each, two for blue/green. */
export interface LaneFootprint {
  /** Listener rules (a blue/green lane adds its test-traffic rule). */
  readonly rules: number;
  /** Target groups (a blue/green lane adds its alternate target group). */
  readonly targetGroups: number;
}

/** The footprint of a lane on its service's ALB. */
export function laneFootprint(baseline: boolean, blueGreen: boolean): LaneFootprint {
  if (baseline) return { rules: 0, targetGroups: 0 };
  return blueGreen ? { rules: 2, targetGroups: 2 } : { rules: 1, targetGroups: 1 };
}

/** Use of one service's ALB against its quotas (`lanes ls`/`status`/`plan`). */
export interface ListenerBudget {
  /** The service whose ALB (and listener) this is. */
  readonly service: string;
  /** The listener the lane rules go on, when the target knows it (an ARN on AWS, a gateway URL locally). */
  readonly listener?: string;
  /** Rules in use (the default rule not counted) and the quota. */
  readonly rules: { readonly used: number; readonly quota: number };
  /** Distinct target groups the ALB forwards to, and the quota. */
  readonly targetGroups: { readonly used: number; readonly quota: number };
}

/** What a deploy is checked against. */
export interface DeployPolicyInput {
  readonly policy: LanePolicy;
  /** Where the policy lives, for messages. @default 'policy' */
  readonly policyPath?: string;
  readonly service: string;
  readonly lane: string;
  readonly baselineLane: string;
  /** Every lane of the environment now (service and lane names suffice). */
  readonly lanes: readonly { readonly service: string; readonly lane: string }[];
  /** The service's ALB use now, when the target measures it. */
  readonly budget?: ListenerBudget;
  /** The new lane's footprint. */
  readonly footprint: LaneFootprint;
}

/**
 * Refuses a deploy that breaks the environment's policy, before anything changes: a new lane whose name
 * matches no allowed pattern, that would exceed the lanes per service or per environment, or whose rules or
 * target groups would not fit under the ALB's quotas. Redeploying an existing lane is always allowed.
 * @throws PolicyError naming the rule broken and the fix
 */
export function checkDeployPolicy(input: DeployPolicyInput): void {
  const where = input.policyPath ?? 'policy';
  const { policy, service, lane } = input;
  if (lane === input.baselineLane) return;
  if (input.lanes.some((l) => l.service === service && l.lane === lane)) return;
  if (policy.lanePatterns && !policy.lanePatterns.some((p) => matchesLanePattern(lane, p))) {
    throw new PolicyError(
      `lane name "${lane}" matches none of the allowed patterns ${policy.lanePatterns.map((p) => `"${p}"`).join(', ')} (${where}.lanePatterns); choose a name that matches, or add a pattern to ${where}.lanePatterns`,
    );
  }
  const shortLived = input.lanes.filter((l) => l.lane !== input.baselineLane);
  const ofService = shortLived.filter((l) => l.service === service).length;
  if (policy.maxLanesPerService !== undefined && ofService >= policy.maxLanesPerService) {
    throw new PolicyError(
      `service ${service} already has ${ofService} lanes besides the baseline, the most ${where}.maxLanesPerService allows (${policy.maxLanesPerService}); remove one (lanes rm, or lanes gc for expired ones) or raise ${where}.maxLanesPerService`,
    );
  }
  if (policy.maxLanesPerEnvironment !== undefined && shortLived.length >= policy.maxLanesPerEnvironment) {
    throw new PolicyError(
      `the environment already has ${shortLived.length} lanes besides the baselines, the most ${where}.maxLanesPerEnvironment allows (${policy.maxLanesPerEnvironment}); remove one (lanes rm, or lanes gc for expired ones) or raise ${where}.maxLanesPerEnvironment`,
    );
  }
  const budget = input.budget;
  if (budget === undefined) return;
  const { rules, targetGroups } = input.footprint;
  if (budget.rules.used + rules > budget.rules.quota) {
    throw new PolicyError(
      `lane ${lane} needs ${rules} listener rule${rules === 1 ? '' : 's'} on the ALB of ${service}, which uses ${budget.rules.used} of its ${budget.rules.quota} rules (${where}.listenerRuleQuota; AWS quota "Rules per Application Load Balancer"); remove a lane of ${service} (lanes gc removes expired ones) or, after AWS raised the quota, raise ${where}.listenerRuleQuota`,
    );
  }
  if (budget.targetGroups.used + targetGroups > budget.targetGroups.quota) {
    throw new PolicyError(
      `lane ${lane} needs ${targetGroups} target group${targetGroups === 1 ? '' : 's'} on the ALB of ${service}, which forwards to ${budget.targetGroups.used} of at most ${budget.targetGroups.quota} (${where}.targetGroupQuota; AWS quota "Target Groups per Application Load Balancer", not adjustable); remove a lane of ${service} (lanes gc removes expired ones)`,
    );
  }
}

/** A deploy refused by the environment's policy; the message names the rule and the fix. Nothing was changed. */
export class PolicyError extends UserError {
  constructor(message: string) {
    super(`${message}; nothing was changed`);
    this.name = 'PolicyError';
  }
}
