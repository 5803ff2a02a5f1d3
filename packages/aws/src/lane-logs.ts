/**
 * A lane's log on AWS (issue 18): every task of lane `L` of service `S` in env `E` writes to log group
 * `/ecs/{E}/{S}` (the service layer's log stack) in a stream `{L}/{container}/{task-id}` (awslogs with stream
 * prefix = lane). `read` lists the lane's streams (DescribeLogStreams, paged) and reads their events merged in
 * time order (FilterLogEvents with the `{L}/` prefix, paged until no `nextToken` comes back: a page may be short
 * or empty and still have one, CloudWatch Logs API Reference, "FilterLogEvents",
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html). `follow` opens a
 * Live Tail session (".../API_StartLiveTail.html"; sessions last at most 3 hours, then it opens another) and
 * falls back to polling FilterLogEvents where Live Tail is refused (Regions or partitions without it, a policy
 * without `logs:StartLiveTail`).
 *
 * The permissions are the operator policy of docs/operations.md ("Lane logs on AWS"), never the pipeline's.
 */
import {
  DescribeLogStreamsCommand,
  type FilteredLogEvent,
  FilterLogEventsCommand,
  StartLiveTailCommand,
  type StartLiveTailCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  type LaneLogEvent,
  type LaneLogQuery,
  type LaneLogReader,
  laneStreamPrefix,
  serviceNames,
  taskIdOfStream,
  UserError,
} from '@ecs-lanes/core';
import { type AwsContext, checkLane, serviceOf } from './context.js';
import { withThrottleRetry } from './retry.js';

/** Largest page FilterLogEvents returns (and the default). */
export const FILTER_PAGE_LIMIT = 10_000;
/** Largest page of DescribeLogStreams. */
export const STREAM_PAGE_LIMIT = 50;
/** How often the polling fallback reads new events. @default 2000 ms */
export const DEFAULT_POLL_INTERVAL_MS = 2000;
/**
 * Windows `read` looks back through, newest first, until it has `limit` events, so that printing the last 100
 * lines does not scan 30 days of a busy log group: one hour, one day, then everything.
 */
export const READ_WINDOWS_MS: readonly number[] = [3_600_000, 86_400_000, Number.POSITIVE_INFINITY];

/** Options of {@link createAwsLogReader}. */
export interface AwsLogReaderOptions {
  /** Interval of the polling fallback. @default {@link DEFAULT_POLL_INTERVAL_MS} */
  readonly pollIntervalMs?: number;
  /** Use Live Tail when it is available. @default true */
  readonly liveTail?: boolean;
}

/** The filter pattern of `--filter TEXT`: the text as one quoted phrase (matched case-sensitively). */
export function filterPatternOf(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The partition of a region, for ARNs. */
function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

function toEvent(e: FilteredLogEvent | { logStreamName?: string; timestamp?: number; message?: string }) {
  return {
    timestamp: e.timestamp ?? 0,
    instance: taskIdOfStream(e.logStreamName ?? '?'),
    message: (e.message ?? '').replace(/\r?\n$/, ''),
  } satisfies LaneLogEvent;
}

/** Reads lanes' logs from CloudWatch Logs. */
export function createAwsLogReader(ctx: AwsContext, options: AwsLogReaderOptions = {}): LaneLogReader {
  const pollMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const send = <T>(call: () => Promise<T>) => withThrottleRetry(ctx.clock, call);
  const where = (query: LaneLogQuery) => {
    serviceOf(ctx, query.service);
    checkLane(query.lane);
    return {
      logGroupName: serviceNames(query.service, ctx.env.name).logGroup,
      prefix: laneStreamPrefix(query.lane),
    };
  };

  /** Every event of the lane from `startTime`, paged; stops early past `stopAfter` events when given. */
  async function filterAll(query: LaneLogQuery, startTime: number | undefined, endTime?: number) {
    const { logGroupName, prefix } = where(query);
    const events: (FilteredLogEvent & { timestamp: number })[] = [];
    let nextToken: string | undefined;
    do {
      const page = await send(() =>
        ctx.clients.logs.send(
          new FilterLogEventsCommand({
            logGroupName,
            logStreamNamePrefix: prefix,
            ...(startTime !== undefined && Number.isFinite(startTime) ? { startTime } : {}),
            ...(endTime !== undefined ? { endTime } : {}),
            ...(query.filter ? { filterPattern: filterPatternOf(query.filter) } : {}),
            limit: FILTER_PAGE_LIMIT,
            ...(nextToken ? { nextToken } : {}),
          }),
        ),
      );
      for (const e of page.events ?? []) events.push({ ...e, timestamp: e.timestamp ?? 0 });
      nextToken = page.nextToken;
    } while (nextToken);
    return events.sort(
      (a, b) => a.timestamp - b.timestamp || (a.eventId ?? '').localeCompare(b.eventId ?? ''),
    );
  }

  /** The lane's streams (paged), to tell "no streams yet" from "no matching events". */
  async function streams(query: LaneLogQuery): Promise<string[]> {
    const { logGroupName, prefix } = where(query);
    const names: string[] = [];
    let nextToken: string | undefined;
    try {
      do {
        const page = await send(() =>
          ctx.clients.logs.send(
            new DescribeLogStreamsCommand({
              logGroupName,
              logStreamNamePrefix: prefix,
              limit: STREAM_PAGE_LIMIT,
              ...(nextToken ? { nextToken } : {}),
            }),
          ),
        );
        for (const s of page.logStreams ?? []) if (s.logStreamName) names.push(s.logStreamName);
        nextToken = page.nextToken;
      } while (nextToken);
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') {
        throw new UserError(
          `log group ${logGroupName} does not exist; bootstrap the service with: lanes service bootstrap ${query.service} --env ${ctx.env.name}`,
          { cause: error },
        );
      }
      throw error;
    }
    return names;
  }

  async function poll(
    query: LaneLogQuery,
    from: number,
    onEvent: (event: LaneLogEvent) => void,
    signal: AbortSignal,
  ) {
    let since = from;
    let seenAtSince = new Set<string>();
    while (!signal.aborted) {
      await Promise.race([ctx.clock.sleep(pollMs), aborted(signal)]);
      if (signal.aborted) return;
      const events = await filterAll(query, since);
      for (const e of events) {
        if (e.timestamp < since || (e.timestamp === since && seenAtSince.has(e.eventId ?? ''))) continue;
        if (e.timestamp > since) {
          since = e.timestamp;
          seenAtSince = new Set();
        }
        seenAtSince.add(e.eventId ?? '');
        onEvent(toEvent(e));
      }
    }
  }

  async function liveTail(
    query: LaneLogQuery,
    onEvent: (event: LaneLogEvent) => void,
    signal: AbortSignal,
    note: (message: string) => void,
  ): Promise<'ended' | 'unavailable'> {
    const { logGroupName, prefix } = where(query);
    const identity = await send(() => ctx.clients.sts.send(new GetCallerIdentityCommand({})));
    const groupArn = `arn:${partitionOf(ctx.env.region)}:logs:${ctx.env.region}:${identity.Account}:log-group:${logGroupName}`;
    while (!signal.aborted) {
      let response: StartLiveTailCommandOutput;
      try {
        response = await ctx.clients.logs.send(
          new StartLiveTailCommand({
            logGroupIdentifiers: [groupArn],
            logStreamNamePrefixes: [prefix],
            ...(query.filter ? { logEventFilterPattern: filterPatternOf(query.filter) } : {}),
          }),
          { abortSignal: signal as never },
        );
      } catch (error) {
        if (signal.aborted) return 'ended';
        note(
          `live tail is not available (${(error as Error).name}: ${(error as Error).message}); polling instead`,
        );
        return 'unavailable';
      }
      const stream = response.responseStream;
      if (!stream) return 'unavailable';
      const iterator = stream[Symbol.asyncIterator]();
      try {
        for (;;) {
          const next = await Promise.race([iterator.next(), aborted(signal).then(() => undefined)]);
          if (next === undefined || next.done) break;
          const update = next.value.sessionUpdate;
          if (update?.sessionMetadata?.sampled) note('live tail sampled this second down to 500 events');
          for (const e of update?.sessionResults ?? []) onEvent(toEvent(e));
        }
      } catch (error) {
        if (signal.aborted) return 'ended';
        if ((error as Error).name !== 'SessionTimeoutException') throw error;
        note('live tail session reached its 3-hour limit; opening a new one');
        continue;
      } finally {
        // Ends the session: stops reading the response stream (the SDK closes the connection).
        void iterator.return?.(undefined);
      }
      if (signal.aborted) return 'ended';
    }
    return 'ended';
  }

  return {
    async read(query) {
      const names = await streams(query);
      if (names.length === 0) return [];
      if (query.since !== undefined || query.limit <= 0) {
        const all = await filterAll(query, query.since);
        return (query.limit > 0 ? all.slice(-query.limit) : all).map(toEvent);
      }
      const now = ctx.clock.now();
      let events: Awaited<ReturnType<typeof filterAll>> = [];
      for (const window of READ_WINDOWS_MS) {
        events = await filterAll(query, Number.isFinite(window) ? now - window : undefined);
        if (events.length >= query.limit) break;
      }
      return events.slice(-query.limit).map(toEvent);
    },
    async follow(query, onEvent, signal, note) {
      const from = ctx.clock.now();
      if (options.liveTail !== false) {
        const how = await liveTail(query, onEvent, signal, note);
        if (how === 'ended') return;
      }
      note(`polling ${serviceNames(query.service, ctx.env.name).logGroup} every ${pollMs / 1000}s`);
      await poll(query, from, onEvent, signal);
    },
  };
}

/** Resolves when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
