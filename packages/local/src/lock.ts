/**
 * A cross-process lock file: created with O_EXCL, holding the owner's pid and the time it was taken.
 * A lock whose owner process is gone, or that is older than `staleMs`, is stale and is broken.
 * Used for the state file (short critical sections) and per lane (a whole deploy, build included).
 */
import { link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Options of {@link withLock}. */
export interface LockOptions {
  /** Give up after this long. @default 30000 */
  readonly timeoutMs?: number;
  /** A lock held longer than this is considered abandoned. @default 600000 (a deploy may build for minutes) */
  readonly staleMs?: number;
  /** What is being locked, for the timeout message. @default the lock file name */
  readonly what?: string;
  /**
   * Called once when the lock is found taken, before waiting for it, with its holder (when the lock file could be
   * read), so that a command can say what it waits for. @default nothing is said
   */
  readonly onWait?: (holder: LockHolder | undefined) => void;
}

/** ` (pid 123, since 2026-12-02T03:00:00.000Z)`, or nothing when the holder is unknown: for messages. */
export function describeHolder(holder: LockHolder | undefined): string {
  return holder ? ` (pid ${holder.pid}, since ${new Date(holder.at).toISOString()})` : '';
}

/** Thrown when a lock cannot be taken in time. */
export class LockTimeoutError extends Error {
  constructor(
    readonly file: string,
    readonly holder: LockHolder | undefined,
    what: string,
  ) {
    super(
      `${what} is locked by another lanes command${describeHolder(holder)}; try again when it has finished`,
    );
    this.name = 'LockTimeoutError';
  }
}

/** What a lock file holds. */
export interface LockHolder {
  readonly pid: number;
  readonly at: number;
}

/** True when a process with this pid exists (signal 0). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<LockHolder>;
    return typeof parsed.pid === 'number' && typeof parsed.at === 'number'
      ? { pid: parsed.pid, at: parsed.at }
      : undefined;
  } catch {
    return undefined;
  }
}

async function tryAcquire(file: string, staleMs: number): Promise<boolean> {
  try {
    const handle = await open(file, 'wx');
    try {
      await handle.writeFile(JSON.stringify({ pid: process.pid, at: Date.now() }));
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const holder = await readHolder(file);
  if (holder === undefined) {
    // Being written right now, or left half-written by a killed process: stale once it is a few seconds old.
    const info = await stat(file).catch(() => undefined);
    return info !== undefined && Date.now() - info.mtimeMs > 5_000
      ? breakLock(file, staleMs, undefined)
      : false;
  }
  const stale = holder.pid !== process.pid && (!processAlive(holder.pid) || Date.now() - holder.at > staleMs);
  return stale ? breakLock(file, staleMs, holder) : false;
}

/**
 * Breaks a stale lock: moves it aside (atomic, so two breakers cannot both win) and tries again. When what was
 * moved is not the lock judged stale (another process broke it and took it meanwhile), it is put back.
 */
async function breakLock(file: string, staleMs: number, judged: LockHolder | undefined): Promise<boolean> {
  const aside = `${file}.stale.${process.pid}.${Date.now()}`;
  try {
    await rename(file, aside);
  } catch {
    return false;
  }
  const moved = await readHolder(aside);
  if (judged !== undefined && (moved?.pid !== judged.pid || moved?.at !== judged.at)) {
    await link(aside, file).catch(() => {});
    await unlink(aside).catch(() => {});
    return false;
  }
  await unlink(aside).catch(() => {});
  return tryAcquire(file, staleMs);
}

/**
 * The holder of the lock file `file` when it is held now (by a live process, not stale), else undefined.
 * `lanes gc` uses it to leave alone a lane whose deploy holds its lock.
 */
export async function lockHolder(file: string, staleMs = 600_000): Promise<LockHolder | undefined> {
  const holder = await readHolder(file);
  if (holder === undefined) return undefined;
  return processAlive(holder.pid) && Date.now() - holder.at <= staleMs ? holder : undefined;
}

/** Runs `fn` holding the lock file `file`; always releases it. */
export async function withLock<T>(file: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const staleMs = options.staleMs ?? 600_000;
  await mkdir(path.dirname(file), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let wait = 5;
  let told = false;
  while (!(await tryAcquire(file, staleMs))) {
    if (!told && options.onWait) {
      told = true;
      options.onWait(await readHolder(file));
    }
    if (Date.now() > deadline) {
      throw new LockTimeoutError(file, await readHolder(file), options.what ?? path.basename(file));
    }
    await sleep(wait + Math.random() * wait);
    wait = Math.min(wait * 2, 200);
  }
  try {
    return await fn();
  } finally {
    await unlink(file).catch(() => {});
  }
}
