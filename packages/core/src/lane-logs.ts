/**
 * A lane's log as both targets give it to `lanes logs` (issue 18): events in time order, each with the
 * instance (ECS task id, local process) that wrote it; the `--since` grammar; and the CloudWatch Logs Insights
 * query an operator pastes into the console. Pure.
 */
import { laneNames, serviceNames } from './naming.js';
import type { LaneRef } from './target.js';

/** One line of a lane's log. */
export interface LaneLogEvent {
  /**
   * When it was written (epoch milliseconds). Absent where the log has no per-line times (the local target's
   * lane log: raw process output between `--- {time} lanes: ...` marker lines).
   */
  readonly timestamp?: number;
  /** Who wrote it: the ECS task id on AWS, the process on the local target. */
  readonly instance: string;
  /** The text, without a trailing newline. */
  readonly message: string;
}

/** What to read. */
export interface LaneLogQuery extends LaneRef {
  /** How many of the last events to print first. @default 100 */
  readonly limit: number;
  /** Only events at or after this time (epoch milliseconds). @default no bound */
  readonly since?: number;
  /** Only events containing this text (case-sensitive). @default every event */
  readonly filter?: string;
}

/** Reads and follows lanes' logs on one target. */
export interface LaneLogReader {
  /** The last `query.limit` events (all of them with 0) matching the query, oldest first. */
  read(query: LaneLogQuery): Promise<LaneLogEvent[]>;
  /**
   * Calls `onEvent` for every event written after `read` returned, in time order, until `signal` aborts;
   * resolves then. Progress notes (fallbacks, reconnects) go to `note`.
   */
  follow(
    query: LaneLogQuery,
    onEvent: (event: LaneLogEvent) => void,
    signal: AbortSignal,
    note: (message: string) => void,
  ): Promise<void>;
}

const SINCE_UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * The start time of `--since`: a duration (`90s`, `10m`, `2h`, `1d`) before `now`, or an ISO 8601 time.
 * @throws Error naming the accepted forms
 */
export function parseSince(text: string, now: number): number {
  const m = /^(\d+)([smhd])$/.exec(text.trim());
  if (m) return now - Number(m[1]) * (SINCE_UNITS[m[2] as string] as number);
  const t = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(t)) return t;
  throw new Error(
    `--since "${text}" is neither a duration (90s, 10m, 2h, 1d) nor an ISO 8601 time (2026-12-01T10:00:00Z)`,
  );
}

/** The ECS task id in an awslogs stream name `{prefix}/{container}/{task-id}`, else the stream name. */
export function taskIdOfStream(stream: string): string {
  const parts = stream.split('/');
  return parts.length >= 3 ? (parts.at(-1) as string) : stream;
}

/**
 * The awslogs stream-name prefix of a lane: `{lane}/` (the task definition's `awslogs-stream-prefix` is the lane;
 * streams are `prefix-name/container-name/ecs-task-id`, Amazon ECS Developer Guide, "Send Amazon ECS logs to
 * CloudWatch", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html). The slash keeps
 * lane `gray` from reading lane `gray2`'s streams.
 */
export function laneStreamPrefix(lane: string): string {
  return `${laneNames('x', 'x', lane).logStreamPrefix}/`;
}

/** A Logs Insights query and the log group to run it on. */
export interface InsightsQuery {
  /** The log group to select in the console: `/ecs/{env}/{service}` (it carries the env and service). */
  readonly logGroupName: string;
  /** The query text. */
  readonly queryString: string;
}

/** Escapes `text` for a double-quoted string of the Logs Insights query language. */
function insightsString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Escapes `text` for a `/regex/` of the Logs Insights query language. */
function insightsRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, (c) => `\\${c}`);
}

/**
 * The CloudWatch Logs Insights query of one lane: the service's log group (env and service), its streams
 * (`@logStream` starting `{lane}/`), the task id parsed from the stream, newest first. Query syntax:
 * CloudWatch Logs User Guide, "CloudWatch Logs Insights language query syntax",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html.
 */
export function insightsQuery(query: LaneLogQuery): InsightsQuery {
  const lines = [
    'fields @timestamp, @logStream, @message',
    `| filter @logStream like /^${insightsRegex(laneStreamPrefix(query.lane))}/`,
    ...(query.filter ? [`| filter @message like ${insightsString(query.filter)}`] : []),
    `| parse @logStream "*/*/*" as lane, container, task`,
    '| sort @timestamp desc',
    `| limit ${query.limit > 0 ? Math.min(query.limit, 10_000) : 10_000}`,
  ];
  return { logGroupName: serviceNames(query.service, query.env).logGroup, queryString: lines.join('\n') };
}
