/**
 * The lane map of one environment, as the page draws it: services × lanes with each cell's facts, the call graph
 * from `dependsOn`, and for every lane where its requests stay in the lane and where they fall back to the
 * baseline. Built from `lanes.yaml` and one `LaneTarget.list()`, so it is the same on every target.
 */
import type { EnvironmentConfig, LaneSummary, LanesConfig } from '@ecs-lanes/core';

/** One cell of the matrix: a lane of a service, as `lanes ls` reports it (plus what the target adds). */
export type LaneCell = LaneSummary & {
  /** Who made the lane, when the target records it. */
  readonly owner?: string;
  /** When the lane expires (ISO 8601), when the target records it. */
  readonly expiresAt?: string;
  /** Estimated cost per day in USD, when known. */
  readonly costPerDay?: number;
};

/** Why a hop serves the lane it serves (the words `lanes trace` uses). */
export type HopReason = 'lane' | 'not-deployed' | 'no-healthy-instance' | 'baseline';

/** Which lane a service serves for requests of one lane. */
export interface LaneHop {
  readonly service: string;
  /** The lane that answers: the lane itself, or the baseline. */
  readonly served: string;
  readonly reason: HopReason;
}

/** Everything the page shows. */
export interface LaneMap {
  readonly project: string;
  readonly env: string;
  readonly target: 'aws' | 'local';
  readonly baselineLane: string;
  /** When the map was read (ISO 8601). */
  readonly generatedAt: string;
  /** Services in config order, each with the services it calls. */
  readonly services: readonly { readonly name: string; readonly dependsOn: readonly string[] }[];
  /** Every lane seen, the baseline first, then by name. */
  readonly lanes: readonly string[];
  /** The matrix's cells. */
  readonly cells: readonly LaneCell[];
  /** For each lane, the lane each service serves for it. */
  readonly routes: Readonly<Record<string, readonly LaneHop[]>>;
}

/** A cell that can answer: running with a healthy instance. */
function answers(cell: LaneCell | undefined): boolean {
  return cell !== undefined && cell.healthy > 0 && cell.state !== 'stopped' && cell.state !== 'deleting';
}

/** Builds the map from the config and the target's lanes. */
export function laneMap(
  config: LanesConfig,
  env: EnvironmentConfig,
  cells: readonly LaneCell[],
  now: Date = new Date(),
): LaneMap {
  const baseline = env.baselineLane;
  const lanes = [baseline, ...[...new Set(cells.map((c) => c.lane))].filter((l) => l !== baseline).sort()];
  const cell = (service: string, lane: string) => cells.find((c) => c.service === service && c.lane === lane);
  const routes: Record<string, LaneHop[]> = {};
  for (const lane of lanes) {
    routes[lane] = config.services.map((s): LaneHop => {
      if (lane === baseline) return { service: s.name, served: baseline, reason: 'baseline' };
      const own = cell(s.name, lane);
      if (answers(own)) return { service: s.name, served: lane, reason: 'lane' };
      return { service: s.name, served: baseline, reason: own ? 'no-healthy-instance' : 'not-deployed' };
    });
  }
  return {
    project: config.project,
    env: env.name,
    target: env.target,
    baselineLane: baseline,
    generatedAt: now.toISOString(),
    services: config.services.map((s) => ({ name: s.name, dependsOn: [...(s.dependsOn ?? [])] })),
    lanes,
    cells: [...cells].sort((a, b) => a.service.localeCompare(b.service) || a.lane.localeCompare(b.lane)),
    routes,
  };
}
