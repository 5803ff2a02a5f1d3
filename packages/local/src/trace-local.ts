/**
 * `lanes trace` on the local target: one request in the lane to the service's gateway, asking every hop to
 * report (`x-lanes-trace: 1`); the gateway's `x-lanes-trace-hop` answer holds the whole tree, judged by core
 * against `dependsOn` and the lanes deployed (docs/trace.md).
 */
import { randomBytes } from 'node:crypto';
import {
  decodeHopReport,
  judgeTrace,
  type LanesConfig,
  type LaneTrace,
  type LocalEnvironmentConfig,
  laneRequestHeaders,
  type ProgressListener,
  TRACE_HOP_HEADER,
  TRACE_REQUEST_HEADER,
  TRACE_REQUEST_VALUE,
  traceExpectations,
} from '@ecs-lanes/core';

/** What {@link traceThroughGateway} needs. */
export interface GatewayTraceInput {
  readonly config: LanesConfig;
  readonly env: LocalEnvironmentConfig;
  readonly service: string;
  readonly lane: string;
  /** The path requested, starting with `/`. */
  readonly path: string;
  /** The gateway's URL. */
  readonly entry: string;
  /** Every lane deployed in the environment (any state). */
  readonly deployed: readonly { readonly service: string; readonly lane: string }[];
  /** @default no progress */
  readonly progress?: ProgressListener;
  /** Time allowed for the request, in milliseconds. @default 10000 */
  readonly timeoutMs?: number;
}

/** Sends the traced request and judges what came back. Never throws for an unreachable or silent entry. */
export async function traceThroughGateway(input: GatewayTraceInput): Promise<LaneTrace> {
  const baseline = input.env.baselineLane;
  const url = `${input.entry}${input.path}`;
  const headers: Record<string, string> = { [TRACE_REQUEST_HEADER]: TRACE_REQUEST_VALUE };
  if (input.lane !== baseline) Object.assign(headers, laneRequestHeaders(input.lane, randomBytes));
  const expectations = traceExpectations(input.config, input.deployed, {
    lane: input.lane,
    baseline,
    path: input.path,
  });
  const entry = { service: input.service, env: input.env.name, entry: input.entry };
  input.progress?.({
    phase: 'trace',
    message: `GET ${url} in lane ${input.lane} with ${TRACE_REQUEST_HEADER}: 1`,
  });
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(input.timeoutMs ?? 10_000) });
    await response.arrayBuffer();
    const report = decodeHopReport(response.headers.get(TRACE_HOP_HEADER));
    return judgeTrace({ ...entry, status: response.status, report }, expectations);
  } catch (error) {
    return judgeTrace(
      { ...entry, report: undefined, error: `GET ${url} failed: ${(error as Error).message}` },
      expectations,
    );
  }
}
