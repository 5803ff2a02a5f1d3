import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic.js';
import { LockTimeoutError, withLock } from './lock.js';
import { EMPTY_STATE, type LaneRecord, StateStore, withLaneRecord } from './state.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lanes-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record = (service: string, lane: string, commit = 'c1'): LaneRecord => ({
  service,
  lane,
  commit,
  branch: 'main',
  dir: '/x',
  run: 'node server.mjs',
  healthPath: '/healthz',
  gatewayPort: 7102,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temporary file behind', async () => {
    const file = path.join(dir, 'sub', 'state.json');
    await writeFileAtomic(file, 'one');
    await writeFileAtomic(file, 'two');
    expect(await readFile(file, 'utf8')).toBe('two');
    expect(await readdir(path.dirname(file))).toEqual(['state.json']);
  });

  it('a reader never sees a torn file while writers race', async () => {
    const file = path.join(dir, 'state.json');
    const big = (n: number) => JSON.stringify({ n, pad: 'x'.repeat(200_000) });
    await writeFileAtomic(file, big(0));
    const writes = Array.from({ length: 20 }, (_, n) => writeFileAtomic(file, big(n + 1)));
    const reads = Array.from(
      { length: 50 },
      async () => JSON.parse(await readFile(file, 'utf8')).n as number,
    );
    const seen = await Promise.all(reads);
    await Promise.all(writes);
    for (const n of seen) expect(n).toBeGreaterThanOrEqual(0);
  });
});

describe('StateStore', () => {
  it('reads an empty state when there is no file', async () => {
    const store = new StateStore(path.join(dir, 'state.json'), path.join(dir, 'state.lock'));
    expect(await store.read()).toEqual(EMPTY_STATE);
  });

  it('loses no update when many writers (separate stores, as separate commands) update at once', async () => {
    const file = path.join(dir, 'state.json');
    const stores = Array.from({ length: 8 }, () => new StateStore(file, path.join(dir, 'state.lock')));
    await Promise.all(
      stores.flatMap((store, s) =>
        Array.from({ length: 5 }, (_, i) =>
          store.update((state) => withLaneRecord(state, `svc${s}/lane${i}`, record(`svc${s}`, `lane${i}`))),
        ),
      ),
    );
    const state = await stores[0]!.read();
    expect(Object.keys(state.lanes)).toHaveLength(40);
  });

  it('writes nothing when the change returns undefined', async () => {
    const file = path.join(dir, 'state.json');
    const store = new StateStore(file, path.join(dir, 'state.lock'));
    await store.update(() => undefined);
    await expect(readFile(file)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a state file of another version', async () => {
    const file = path.join(dir, 'state.json');
    await writeFile(file, JSON.stringify({ version: 99, lanes: {} }));
    await expect(new StateStore(file, path.join(dir, 'l')).read()).rejects.toThrow(/state version 99/);
  });
});

describe('withLock', () => {
  it('breaks a lock whose owner process is gone', async () => {
    const lock = path.join(dir, 'a.lock');
    await writeFile(lock, JSON.stringify({ pid: 2 ** 22 + 12345, at: Date.now() }));
    expect(await withLock(lock, async () => 'got it', { timeoutMs: 2_000 })).toBe('got it');
  });

  it('waits for a live owner and times out with who holds it', async () => {
    const lock = path.join(dir, 'b.lock');
    await writeFile(lock, JSON.stringify({ pid: process.ppid, at: Date.now() }));
    await expect(
      withLock(lock, async () => 1, { timeoutMs: 200, what: 'lane gray of orders' }),
    ).rejects.toThrow(LockTimeoutError);
    await expect(
      withLock(lock, async () => 1, { timeoutMs: 200, what: 'lane gray of orders' }),
    ).rejects.toThrow(/lane gray of orders is locked by another lanes command \(pid \d+/);
  });

  it('serializes critical sections', async () => {
    const lock = path.join(dir, 'c.lock');
    let inside = 0;
    let max = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        withLock(lock, async () => {
          inside++;
          max = Math.max(max, inside);
          await new Promise((r) => setTimeout(r, 5));
          inside--;
        }),
      ),
    );
    expect(max).toBe(1);
  });
});
