/**
 * Following a lane's log during a deploy, so that what the supervisor does with the new instance (restarts after
 * a crash, health changes) is shown as it happens rather than only when the deploy ends.
 */
import { open } from 'node:fs/promises';

/** The supervisor's own lines (`--- <time> lanes: ...`) worth showing as progress. */
const PROGRESS_LINE =
  /^--- \S+ lanes: (.*(exited|killed|restarts in|is unhealthy|is healthy|could not start|replaced).*)$/;

/**
 * Calls `onLine` with every new supervisor line of `file` that tells about a restart or a health change, from its
 * current end, every `intervalMs`, until the returned function is called (which reads what is left first).
 */
export function followLaneLog(
  file: string,
  onLine: (line: string) => void,
  intervalMs = 200,
): () => Promise<void> {
  let position: number | undefined;
  let partial = '';
  let busy: Promise<void> = Promise.resolve();
  const read = async () => {
    const handle = await open(file, 'r').catch(() => undefined);
    if (handle === undefined) {
      position ??= 0;
      return;
    }
    try {
      const { size } = await handle.stat();
      if (position === undefined || size < position) {
        position = position === undefined ? size : 0;
        return;
      }
      if (size === position) return;
      const buffer = Buffer.alloc(size - position);
      await handle.read(buffer, 0, buffer.length, position);
      position = size;
      const lines = (partial + buffer.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const match = PROGRESS_LINE.exec(line);
        if (match) onLine(match[1]!);
      }
    } finally {
      await handle.close();
    }
  };
  busy = read();
  const timer = setInterval(() => {
    busy = busy.then(read, read);
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await busy.catch(() => {});
    await read().catch(() => {});
  };
}
