/**
 * A lane's log on the local target, as `lanes logs` reads it on every target (core's `LaneLogReader`): the
 * lane's file `.lanes/logs/{env}/{service}/{lane}.log` holds its builds and the raw output of every process it
 * ran, each section opened by a `--- {ISO time} lanes: ...` marker line. Lines carry no time of their own, so
 * events have no `timestamp` and `--since` is refused; the instance is the process id the marker names
 * (`build` for a build's output).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type LaneLogEvent, type LaneLogQuery, type LaneLogReader, UserError } from '@ecs-lanes/core';

/** How often `follow` looks for appended lines. @default 200 ms */
export const LOCAL_FOLLOW_INTERVAL_MS = 200;

/** Tracks which instance wrote the lines that follow a marker. */
function instanceTracker(): (line: string) => string {
  let instance = '-';
  return (line) => {
    const started = /^--- \S+ lanes: starting \S+ as (\S+) /.exec(line);
    if (started) instance = started[1] as string;
    else if (/^--- \S+ lanes: building /.test(line)) instance = 'build';
    return instance;
  };
}

/** Reads lane logs of one local environment; `logFile` gives the file of a lane (and checks the ref). */
export function createLocalLogReader(logFile: (service: string, lane: string) => string): LaneLogReader {
  const matches = (query: LaneLogQuery, line: string) => !query.filter || line.includes(query.filter);
  const refuseSince = (query: LaneLogQuery) => {
    if (query.since !== undefined) {
      throw new UserError(
        '--since needs per-line times, which the local lane log does not have; use -n N instead',
      );
    }
  };
  return {
    async read(query) {
      refuseSince(query);
      const file = logFile(query.service, query.lane);
      if (!existsSync(file)) return [];
      const lines = (await readFile(file, 'utf8')).split('\n');
      if (lines.at(-1) === '') lines.pop();
      const instanceOf = instanceTracker();
      const events: LaneLogEvent[] = [];
      for (const line of lines) {
        const instance = instanceOf(line);
        if (matches(query, line)) events.push({ instance, message: line });
      }
      return query.limit > 0 ? events.slice(-query.limit) : events;
    },
    async follow(query, onEvent, signal) {
      refuseSince(query);
      const file = logFile(query.service, query.lane);
      let position = existsSync(file) ? statSync(file).size : 0;
      let partial = '';
      const instanceOf = instanceTracker();
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (!existsSync(file)) return;
          const size = statSync(file).size;
          if (size < position) position = 0;
          if (size === position) return;
          const stream = createReadStream(file, { start: position, end: size - 1, encoding: 'utf8' });
          position = size;
          stream.on('data', (chunk) => {
            const parts = (partial + String(chunk)).split('\n');
            partial = parts.pop() ?? '';
            for (const line of parts) {
              const instance = instanceOf(line);
              if (matches(query, line)) onEvent({ instance, message: line });
            }
          });
        }, LOCAL_FOLLOW_INTERVAL_MS);
        const stop = () => {
          clearInterval(timer);
          resolve();
        };
        if (signal.aborted) stop();
        else signal.addEventListener('abort', stop, { once: true });
      });
    },
  };
}
