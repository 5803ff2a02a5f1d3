import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LockHolder, LockTimeoutError, withLock } from './lock.js';

const lockFile = () => path.join(mkdtempSync(path.join(tmpdir(), 'lanes-lock-')), 'lane.lock');

describe('withLock', () => {
  it('runs one holder at a time; a waiter is told once who holds the lock, then runs after it', async () => {
    const file = lockFile();
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = withLock(file, async () => {
      order.push('first start');
      await held;
      order.push('first end');
    });
    await new Promise((r) => setTimeout(r, 20));
    const told: (LockHolder | undefined)[] = [];
    const second = withLock(file, async () => order.push('second'), { onWait: (h) => told.push(h) });
    await new Promise((r) => setTimeout(r, 100));
    expect(told).toEqual([{ pid: process.pid, at: expect.any(Number) }]);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first start', 'first end', 'second']);
    expect(told).toHaveLength(1);
  });

  it('does not call onWait when the lock is free', async () => {
    const told: unknown[] = [];
    await withLock(lockFile(), async () => {}, { onWait: (h) => told.push(h) });
    expect(told).toEqual([]);
  });

  it('gives up after its timeout with what is locked and by whom', async () => {
    const file = lockFile();
    let release!: () => void;
    const first = withLock(file, () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((r) => setTimeout(r, 20));
    const error = await withLock(file, async () => {}, { timeoutMs: 50, what: 'lane gray of orders' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as Error).message).toMatch(
      new RegExp(`^lane gray of orders is locked by another lanes command \\(pid ${process.pid}, since `),
    );
    release();
    await first;
  });
});
