/**
 * What a lane costs: an estimate per day from Fargate's On-Demand prices (tasks × vCPU × hours plus
 * tasks × GiB × hours), and for a blue/green lane what each deploy adds (the green tasks running beside the
 * blue ones for the bake time, and the validation hook's Lambda invocation). Prices come from a small dated
 * table ({@link FARGATE_PRICE_TABLE}) and can be overridden per environment (`environments[].prices`).
 *
 * An estimate, not a bill: no Savings Plans, Spot, data transfer, ALB hours or logs.
 *
 * Pure.
 */
import { z } from 'zod';

/** Prices of one region, in USD. */
export interface RegionPrices {
  /** Fargate Linux/x86 On-Demand, per vCPU per hour. */
  readonly vcpuHour: number;
  /** Fargate Linux/x86 On-Demand, per GB of memory per hour. */
  readonly gbHour: number;
  /** Lambda (x86), per GB-second. */
  readonly lambdaGbSecond: number;
  /** Lambda, per request. */
  readonly lambdaRequest: number;
}

/**
 * Fargate (Linux/x86, On-Demand) and Lambda (x86) prices of the regions ecs-lanes knows, in USD.
 * Regions not listed need `environments[].prices` in lanes.yaml.
 */
export const FARGATE_PRICE_TABLE: {
  readonly date: string;
  readonly source: string;
  readonly currency: 'USD';
  readonly regions: Readonly<Record<string, RegionPrices>>;
} = Object.freeze({
  date: '2026-06-17',
  source: 'https://aws.amazon.com/fargate/pricing/ and https://aws.amazon.com/lambda/pricing/',
  currency: 'USD',
  regions: Object.freeze({
    'us-east-1': {
      vcpuHour: 0.04048,
      gbHour: 0.004445,
      lambdaGbSecond: 0.0000166667,
      lambdaRequest: 0.0000002,
    },
    'us-east-2': {
      vcpuHour: 0.04048,
      gbHour: 0.004445,
      lambdaGbSecond: 0.0000166667,
      lambdaRequest: 0.0000002,
    },
    'us-west-2': {
      vcpuHour: 0.04048,
      gbHour: 0.004445,
      lambdaGbSecond: 0.0000166667,
      lambdaRequest: 0.0000002,
    },
  }),
});

/** The validation hook of a blue/green lane: its Lambda's memory (MiB) and timeout (s), as the CDK sets them. */
export const BLUE_GREEN_HOOK = Object.freeze({ memoryMiB: 128, timeoutSeconds: 30 });

const price = z.number().min(0).max(100);

/** The schema of `environments[].prices`: overrides of the table for the environment's region. */
export const pricesSchema = z.strictObject({
  /** Fargate per vCPU per hour, USD. */
  vcpuHour: price,
  /** Fargate per GB per hour, USD. */
  gbHour: price,
  /** Lambda per GB-second, USD. @default the table's us-east-1 price */
  lambdaGbSecond: price.default(0.0000166667),
  /** Lambda per request, USD. @default the table's us-east-1 price */
  lambdaRequest: price.default(0.0000002),
  /** Where these prices come from and when they were read (shown beside the estimate). */
  source: z.string().min(1, 'say where the prices come from, for example "AWS pricing page, 2026-06"'),
});

/** An environment's price override. */
export type PricesConfig = z.output<typeof pricesSchema>;

/** Prices resolved for one region, with where they come from. */
export interface ResolvedPrices extends RegionPrices {
  readonly region: string;
  /** The price table's date and source, or the override's `source`. */
  readonly source: string;
}

/** The prices of `region`: the override when given, else the table's, else undefined. */
export function pricesFor(region: string, override?: PricesConfig): ResolvedPrices | undefined {
  if (override) {
    const { source, ...rest } = override;
    return { ...rest, region, source: `lanes.yaml prices (${source})` };
  }
  const row = FARGATE_PRICE_TABLE.regions[region];
  if (!row) return undefined;
  return { ...row, region, source: `${FARGATE_PRICE_TABLE.source} (${FARGATE_PRICE_TABLE.date})` };
}

/** The estimate of one lane. Every amount is in USD, rounded to a hundredth of a cent. */
export interface LaneCost {
  /** Steady cost per day: tasks × (vCPU × vcpuHour + GiB × gbHour) × 24. */
  readonly perDay: number;
  /** What each blue/green deploy adds (green tasks for the bake time, one hook invocation); absent otherwise. */
  readonly perDeploy?: number;
  /** Tasks counted (the desired count). */
  readonly tasks: number;
  /** vCPU per task. */
  readonly vcpu: number;
  /** GiB of memory per task. */
  readonly memoryGiB: number;
  /** Currency of every amount. */
  readonly currency: 'USD';
  /** The region whose prices were used. */
  readonly region: string;
  /** Where the prices come from. */
  readonly priceSource: string;
  /** On the local target: the AWS environment whose prices and sizes are shown. */
  readonly mirrors?: string;
}

/** What {@link estimateLaneCost} needs. */
export interface LaneCostInput {
  /** Tasks (the desired count). */
  readonly tasks: number;
  /** Task CPU in units (1024 = 1 vCPU). */
  readonly cpu: number;
  /** Task memory in MiB. */
  readonly memory: number;
  readonly prices: ResolvedPrices;
  /** A blue/green lane's bake time, in minutes. @default not blue/green */
  readonly blueGreenBakeMinutes?: number;
  /** See {@link LaneCost.mirrors}. */
  readonly mirrors?: string;
}

/** Rounds to a hundredth of a cent. */
function usd(amount: number): number {
  return Math.round(amount * 10_000) / 10_000;
}

/** The cost estimate of one lane. */
export function estimateLaneCost(input: LaneCostInput): LaneCost {
  const vcpu = input.cpu / 1024;
  const memoryGiB = input.memory / 1024;
  const perTaskHour = vcpu * input.prices.vcpuHour + memoryGiB * input.prices.gbHour;
  const perDay = usd(input.tasks * perTaskHour * 24);
  let perDeploy: number | undefined;
  if (input.blueGreenBakeMinutes !== undefined) {
    const green = input.tasks * perTaskHour * (input.blueGreenBakeMinutes / 60);
    const hook =
      input.prices.lambdaRequest +
      (BLUE_GREEN_HOOK.memoryMiB / 1024) * BLUE_GREEN_HOOK.timeoutSeconds * input.prices.lambdaGbSecond;
    perDeploy = usd(green + hook);
  }
  return {
    perDay,
    ...(perDeploy === undefined ? {} : { perDeploy }),
    tasks: input.tasks,
    vcpu,
    memoryGiB,
    currency: 'USD',
    region: input.prices.region,
    priceSource: input.prices.source,
    ...(input.mirrors ? { mirrors: input.mirrors } : {}),
  };
}

/** The environment's total per day (lanes without an estimate count nothing). */
export function totalPerDay(costs: readonly (LaneCost | undefined)[]): number {
  return usd(costs.reduce((sum, c) => sum + (c?.perDay ?? 0), 0));
}

/** `$1.23/day` (four decimals below a cent). */
export function formatUsd(amount: number): string {
  return amount < 0.01 && amount > 0 ? `$${amount.toFixed(4)}` : `$${amount.toFixed(2)}`;
}
