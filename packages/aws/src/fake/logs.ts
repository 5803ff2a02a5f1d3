/**
 * The fake's CloudWatch Logs: log groups and streams that tasks write to ({@link FakeLogs.put}), and the three
 * calls `lanes logs` makes, with the limits and paging AWS documents:
 * - DescribeLogStreams (CloudWatch Logs API Reference, "DescribeLogStreams",
 *   https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogStreams.html):
 *   `limit` 1..50, default 50; `orderBy` LogStreamName (default) or LastEventTime; `logStreamNamePrefix` cannot be
 *   combined with `orderBy: LastEventTime` (InvalidParameterException); `nextToken` pages.
 * - FilterLogEvents (".../API_FilterLogEvents.html"): `limit` 1..10,000, default 10,000; `logStreamNames` (1..100)
 *   and `logStreamNamePrefix` are exclusive (InvalidParameterException); `startTime`/`endTime` in epoch
 *   milliseconds, both bounds inclusive ("Events with a timestamp before this time / later than this time are not
 *   returned"); events come in time order across streams; a page may hold fewer events than `limit` (even none) and still carry a `nextToken`, so a
 *   caller must page until no token comes back. The fake cuts pages at {@link FakeLogs.scanWindow} scanned events to
 *   make that happen for real.
 * - StartLiveTail (".../API_StartLiveTail.html"): `logGroupIdentifiers` 1..10 ARNs (or names);
 *   `logStreamNamePrefixes` (1..100) or `logStreamNames` (1..100), exclusive, and only with one log group; a
 *   `sessionStart`, then a `sessionUpdate` every second with at most 500 events (sampled beyond); the session ends
 *   after 3 hours (SessionTimeoutException) or when the client stops reading.
 * A missing log group is ResourceNotFoundException ("The specified log group does not exist.").
 *
 * Filter patterns: the fake models the text forms only (terms that must all occur, `"quoted phrases"`,
 * case-sensitive; "Filter pattern syntax for metric filters, subscription filters, filter log events, and Live
 * Tail", https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html) and refuses the
 * JSON, space-delimited and regex forms rather than guessing them.
 */
import type { Clock } from '../clock.js';

/** Raised like the SDK raises a service error. */
export type ErrorFactory = (name: string, message: string) => Error;

/** Page size bounds of DescribeLogStreams. */
export const DESCRIBE_LOG_STREAMS_MAX_LIMIT = 50;
/** Page size bounds of FilterLogEvents. */
export const FILTER_LOG_EVENTS_MAX_LIMIT = 10_000;
/** Most events in one Live Tail `sessionUpdate`. */
export const LIVE_TAIL_MAX_EVENTS_PER_UPDATE = 500;
/** Most log groups of one Live Tail session. */
export const LIVE_TAIL_MAX_LOG_GROUPS = 10;
/** How long a Live Tail session may stay open. */
export const LIVE_TAIL_MAX_SESSION_MS = 3 * 60 * 60 * 1000;
/** Most stream names or prefixes in FilterLogEvents and StartLiveTail. */
export const MAX_STREAM_FILTERS = 100;

interface StoredEvent {
  readonly timestamp: number;
  readonly ingestionTime: number;
  readonly message: string;
  readonly eventId: string;
}

interface FakeStream {
  readonly name: string;
  readonly creationTime: number;
  readonly events: StoredEvent[];
}

interface LiveTailSession {
  readonly groups: readonly string[];
  readonly matches: (group: string, stream: string, message: string) => boolean;
  readonly pending: {
    logGroupIdentifier: string;
    logStreamName: string;
    timestamp: number;
    ingestionTime: number;
    message: string;
  }[];
}

/** Options of {@link FakeLogs}. */
export interface FakeLogsOptions {
  readonly clock: Clock;
  readonly account: string;
  readonly region: string;
  readonly error: ErrorFactory;
}

/** The fake's CloudWatch Logs. See the module doc. */
export class FakeLogs {
  /**
   * How many stored events one FilterLogEvents page scans before it stops and returns a `nextToken` (AWS: "a
   * time-bounded scan window"). Small, so that tests meet short and empty pages.
   */
  scanWindow = 25;
  /** When false, StartLiveTail fails as in a Region without Live Tail (tests of the polling fallback). */
  liveTailAvailable = true;

  private readonly groups = new Map<string, Map<string, FakeStream>>();
  private readonly sessions = new Set<LiveTailSession>();
  private counter = 0;

  constructor(private readonly options: FakeLogsOptions) {}

  /** The calls this module answers, by operation name. */
  handlers(): Record<string, (input: Record<string, unknown>) => unknown> {
    return {
      CreateLogGroup: (i) => {
        this.createGroup(String(i.logGroupName));
        return {};
      },
      DescribeLogStreams: (i) => this.describeLogStreams(i),
      FilterLogEvents: (i) => this.filterLogEvents(i),
      StartLiveTail: (i) => this.startLiveTail(i),
    };
  }

  /** Creates a log group (what the `boot-log-{service}-{env}` stack does). No-op when it exists. */
  createGroup(name: string): void {
    if (!this.groups.has(name)) this.groups.set(name, new Map());
  }

  /** A task writes `messages` to `stream` of `group` at `timestamp` (default: now), as awslogs does. */
  put(group: string, stream: string, messages: readonly string[], timestamp?: number): void {
    const streams = this.groups.get(group);
    if (!streams) throw new Error(`fake: log group ${group} does not exist; create it first`);
    let s = streams.get(stream);
    if (!s) {
      s = { name: stream, creationTime: this.options.clock.now(), events: [] };
      streams.set(stream, s);
    }
    for (const message of messages) {
      const event: StoredEvent = {
        timestamp: timestamp ?? this.options.clock.now(),
        ingestionTime: this.options.clock.now(),
        message,
        eventId: String(++this.counter).padStart(20, '0'),
      };
      s.events.push(event);
      s.events.sort((a, b) => a.timestamp - b.timestamp || a.eventId.localeCompare(b.eventId));
      for (const session of this.sessions) {
        const id = session.groups.find((g) => g === group || g.endsWith(`:log-group:${group}`));
        if (id && session.matches(group, stream, message)) {
          session.pending.push({
            logGroupIdentifier: id,
            logStreamName: stream,
            timestamp: event.timestamp,
            ingestionTime: event.ingestionTime,
            message,
          });
        }
      }
    }
  }

  /** Open Live Tail sessions (tests assert that Ctrl-C closed them). */
  get openSessions(): number {
    return this.sessions.size;
  }

  private group(name: unknown): Map<string, FakeStream> {
    const streams = typeof name === 'string' ? this.groups.get(name) : undefined;
    if (!streams)
      throw this.options.error('ResourceNotFoundException', 'The specified log group does not exist.');
    return streams;
  }

  private invalid(message: string): Error {
    return this.options.error('InvalidParameterException', message);
  }

  private limitOf(value: unknown, max: number): number {
    if (value === undefined) return max;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) {
      throw this.invalid(
        `1 validation error detected: Value '${String(value)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and ${max}`,
      );
    }
    return n;
  }

  private describeLogStreams(input: Record<string, unknown>) {
    const streams = this.group(input.logGroupName);
    const limit = this.limitOf(input.limit, DESCRIBE_LOG_STREAMS_MAX_LIMIT);
    const orderBy = (input.orderBy as string | undefined) ?? 'LogStreamName';
    const prefix = input.logStreamNamePrefix as string | undefined;
    if (prefix !== undefined && orderBy === 'LastEventTime') {
      throw this.invalid('Cannot order by LastEventTime with a logStreamNamePrefix.');
    }
    let list = [...streams.values()].filter((s) => prefix === undefined || s.name.startsWith(prefix));
    list =
      orderBy === 'LastEventTime'
        ? list.sort((a, b) => (a.events.at(-1)?.timestamp ?? 0) - (b.events.at(-1)?.timestamp ?? 0))
        : list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (input.descending === true) list.reverse();
    const start = decodeToken(input.nextToken, 'ds', (m) => this.invalid(m));
    const page = list.slice(start, start + limit);
    const next = start + limit < list.length ? encodeToken('ds', start + limit) : undefined;
    return {
      logStreams: page.map((s) => ({
        logStreamName: s.name,
        creationTime: s.creationTime,
        ...(s.events.length
          ? {
              firstEventTimestamp: s.events[0]?.timestamp,
              lastEventTimestamp: s.events.at(-1)?.timestamp,
              lastIngestionTime: s.events.at(-1)?.ingestionTime,
            }
          : {}),
        arn: `arn:aws:logs:${this.options.region}:${this.options.account}:log-group:${String(input.logGroupName)}:log-stream:${s.name}`,
      })),
      ...(next ? { nextToken: next } : {}),
    };
  }

  private streamFilter(names: unknown, prefixes: readonly string[] | undefined) {
    const list = names as string[] | undefined;
    if (list !== undefined && prefixes !== undefined) {
      throw this.invalid('logStreamNames and logStreamNamePrefix are mutually exclusive');
    }
    if (list !== undefined && (list.length < 1 || list.length > MAX_STREAM_FILTERS)) {
      throw this.invalid(`logStreamNames must have between 1 and ${MAX_STREAM_FILTERS} members`);
    }
    return (stream: string) =>
      (list === undefined || list.includes(stream)) &&
      (prefixes === undefined || prefixes.some((p) => stream.startsWith(p)));
  }

  private filterLogEvents(input: Record<string, unknown>) {
    const streams = this.group(input.logGroupName);
    const limit = this.limitOf(input.limit, FILTER_LOG_EVENTS_MAX_LIMIT);
    const prefix = input.logStreamNamePrefix as string | undefined;
    const wantStream = this.streamFilter(input.logStreamNames, prefix === undefined ? undefined : [prefix]);
    const matches = compileFilterPattern(input.filterPattern as string | undefined, (m) => this.invalid(m));
    const startTime = input.startTime === undefined ? -Infinity : Number(input.startTime);
    const endTime = input.endTime === undefined ? Infinity : Number(input.endTime);
    const all = [...streams.values()]
      .filter((s) => wantStream(s.name))
      .flatMap((s) => s.events.map((e) => ({ stream: s.name, e })))
      .filter(({ e }) => e.timestamp >= startTime && e.timestamp <= endTime)
      .sort((a, b) => a.e.timestamp - b.e.timestamp || a.e.eventId.localeCompare(b.e.eventId));
    let position = decodeToken(input.nextToken, 'fe', (m) => this.invalid(m));
    const events: Record<string, unknown>[] = [];
    let scanned = 0;
    while (position < all.length && events.length < limit && scanned < this.scanWindow) {
      const { stream, e } = all[position] as { stream: string; e: StoredEvent };
      position++;
      scanned++;
      if (matches(e.message)) {
        events.push({
          logStreamName: stream,
          timestamp: e.timestamp,
          message: e.message,
          ingestionTime: e.ingestionTime,
          eventId: e.eventId,
        });
      }
    }
    return {
      events,
      searchedLogStreams: [],
      ...(position < all.length ? { nextToken: encodeToken('fe', position) } : {}),
    };
  }

  private startLiveTail(input: Record<string, unknown>) {
    if (!this.liveTailAvailable) {
      throw this.options.error(
        'AccessDeniedException',
        'Live Tail is not available for this account in this Region.',
      );
    }
    const groups = (input.logGroupIdentifiers as string[] | undefined) ?? [];
    if (groups.length < 1 || groups.length > LIVE_TAIL_MAX_LOG_GROUPS) {
      throw this.invalid(`logGroupIdentifiers must have between 1 and ${LIVE_TAIL_MAX_LOG_GROUPS} members`);
    }
    // "If you specify an ARN, the ARN can't end with an asterisk (*)." (StartLiveTail, logGroupIdentifiers)
    if (groups.some((g) => g.endsWith('*')))
      throw this.invalid("a log group ARN in logGroupIdentifiers can't end with an asterisk (*)");
    for (const g of groups)
      this.group(g.includes(':log-group:') ? g.split(':log-group:')[1]?.replace(/:\*$/, '') : g);
    const prefixes = input.logStreamNamePrefixes as string[] | undefined;
    if ((prefixes !== undefined || input.logStreamNames !== undefined) && groups.length !== 1) {
      throw this.invalid('logStreamNames and logStreamNamePrefixes require exactly one log group identifier');
    }
    if (prefixes !== undefined && (prefixes.length < 1 || prefixes.length > MAX_STREAM_FILTERS)) {
      throw this.invalid(`logStreamNamePrefixes must have between 1 and ${MAX_STREAM_FILTERS} members`);
    }
    const wantStream = this.streamFilter(input.logStreamNames, prefixes);
    const matches = compileFilterPattern(input.logEventFilterPattern as string | undefined, (m) =>
      this.invalid(m),
    );
    const session: LiveTailSession = {
      groups,
      matches: (_g, stream, message) => wantStream(stream) && matches(message),
      pending: [],
    };
    this.sessions.add(session);
    const clock = this.options.clock;
    const sessions = this.sessions;
    const startedAt = clock.now();
    const sessionId = `fake-session-${++this.counter}`;
    async function* stream() {
      try {
        yield {
          sessionStart: {
            sessionId,
            logGroupIdentifiers: groups,
            ...(prefixes ? { logStreamNamePrefixes: prefixes } : {}),
          },
        };
        for (;;) {
          await clock.sleep(1000);
          if (clock.now() - startedAt >= LIVE_TAIL_MAX_SESSION_MS) {
            const error = new Error('Live Tail session timed out after 3 hours');
            error.name = 'SessionTimeoutException';
            throw error;
          }
          const batch = session.pending.splice(0, session.pending.length);
          const sampled = batch.length > LIVE_TAIL_MAX_EVENTS_PER_UPDATE;
          yield {
            sessionUpdate: {
              sessionMetadata: { sampled },
              sessionResults: sampled ? batch.slice(-LIVE_TAIL_MAX_EVENTS_PER_UPDATE) : batch,
            },
          };
        }
      } finally {
        sessions.delete(session);
      }
    }
    return { responseStream: stream() };
  }
}

function encodeToken(kind: string, position: number): string {
  return Buffer.from(`${kind}:${position}`).toString('base64');
}

function decodeToken(token: unknown, kind: string, invalid: (message: string) => Error): number {
  if (token === undefined) return 0;
  const [k, n] = Buffer.from(String(token), 'base64').toString().split(':');
  if (k !== kind || !Number.isInteger(Number(n))) throw invalid('The specified nextToken is invalid.');
  return Number(n);
}

/**
 * The text forms of a filter pattern: every bare term and every `"quoted phrase"` must occur in the message.
 * @throws (through `invalid`) for the forms the fake does not model
 */
export function compileFilterPattern(
  pattern: string | undefined,
  invalid: (message: string) => Error,
): (message: string) => boolean {
  if (pattern === undefined || pattern.trim() === '') return () => true;
  const trimmed = pattern.trim();
  if (/^[{[]/.test(trimmed) || /^%.*%$/.test(trimmed) || /^\?/.test(trimmed) || /^-/.test(trimmed)) {
    throw invalid(`the fake does not model this filter pattern form: ${pattern} (see docs/aws-fidelity.md)`);
  }
  const terms: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(trimmed); m; m = re.exec(trimmed)) {
    terms.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] as string));
  }
  return (message) => terms.every((t) => message.includes(t));
}
