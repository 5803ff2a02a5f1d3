/**
 * A lane's log on AWS, against the fake's CloudWatch Logs: the lane's streams only (prefix `{lane}/`), merged in
 * time order with the task id, paged to the end, `--since` and `--filter`, following with Live Tail or by polling
 * where Live Tail is refused, and a clean stop.
 */
import { type LaneLogEvent, type LaneLogQuery, serviceNames } from '@ecs-lanes/core';
import { describe, expect, it } from 'vitest';
import { createFakeWorld, type FakeWorld } from './fake/index.js';
import { createAwsLogReader } from './lane-logs.js';

const GROUP = serviceNames('orders', 'dev').logGroup;

async function world(): Promise<FakeWorld> {
  const w = createFakeWorld();
  await w.bootstrap('orders');
  return w;
}

const query = (over: Partial<LaneLogQuery> = {}): LaneLogQuery => ({
  service: 'orders',
  env: 'dev',
  lane: 'gray',
  limit: 100,
  ...over,
});

describe('lanes logs on AWS (CloudWatch Logs)', () => {
  it("reads only the lane's streams, merged in time order, each line with its task id", async () => {
    const w = await world();
    const t0 = w.clock.now() - 60_000;
    w.fake.logs.put(GROUP, 'gray/app/task-a', ['a1'], t0 + 1);
    w.fake.logs.put(GROUP, 'gray/app/task-b', ['b1'], t0 + 2);
    w.fake.logs.put(GROUP, 'gray/app/task-a', ['a2'], t0 + 3);
    w.fake.logs.put(GROUP, 'gray2/app/task-c', ['not mine'], t0 + 4);
    w.fake.logs.put(GROUP, 'base/app/task-d', ['baseline'], t0 + 5);
    const events = await createAwsLogReader(w.context()).read(query());
    expect(events).toEqual([
      { timestamp: t0 + 1, instance: 'task-a', message: 'a1' },
      { timestamp: t0 + 2, instance: 'task-b', message: 'b1' },
      { timestamp: t0 + 3, instance: 'task-a', message: 'a2' },
    ]);
  });

  it('pages FilterLogEvents until no nextToken comes back, through short pages, and keeps the last N', async () => {
    const w = await world();
    const t0 = w.clock.now() - 600_000;
    const lines = Array.from({ length: 120 }, (_, i) => `line ${i}`);
    for (const [i, line] of lines.entries()) w.fake.logs.put(GROUP, `gray/app/task-${i % 3}`, [line], t0 + i);
    const before = w.fake.calls.filter((c) => c === 'FilterLogEvents').length;
    const events = await createAwsLogReader(w.context()).read(query({ limit: 50 }));
    expect(events.map((e) => e.message)).toEqual(lines.slice(-50));
    // The fake scans 25 events per page: 120 events need 5 pages.
    expect(w.fake.calls.filter((c) => c === 'FilterLogEvents').length - before).toBeGreaterThanOrEqual(5);
  });

  it('with --since reads from that time; with --filter only lines containing the text', async () => {
    const w = await world();
    const now = w.clock.now();
    w.fake.logs.put(GROUP, 'gray/app/t1', ['old error'], now - 3_600_000);
    w.fake.logs.put(GROUP, 'gray/app/t1', ['new error: "quoted"', 'new ok'], now - 60_000);
    const reader = createAwsLogReader(w.context());
    expect((await reader.read(query({ since: now - 600_000 }))).map((e) => e.message)).toEqual([
      'new error: "quoted"',
      'new ok',
    ]);
    expect((await reader.read(query({ filter: 'error: "quoted"', limit: 0 }))).map((e) => e.message)).toEqual(
      ['new error: "quoted"'],
    );
  });

  it('lists the streams through DescribeLogStreams pages (at most 50 each)', async () => {
    const w = await world();
    for (let i = 0; i < 120; i++)
      w.fake.logs.put(
        GROUP,
        `gray/app/task-${String(i).padStart(3, '0')}`,
        [`m${i}`],
        w.clock.now() - 1000 + i,
      );
    const before = w.fake.calls.filter((c) => c === 'DescribeLogStreams').length;
    const events = await createAwsLogReader(w.context()).read(query({ limit: 0 }));
    expect(events).toHaveLength(120);
    expect(w.fake.calls.filter((c) => c === 'DescribeLogStreams').length - before).toBe(3);
  });

  it('returns nothing for a lane that has written no stream yet', async () => {
    const w = await world();
    expect(await createAwsLogReader(w.context()).read(query({ lane: 'fresh' }))).toEqual([]);
  });

  it('follows with Live Tail, and closes the session when stopped', async () => {
    const w = await world();
    const reader = createAwsLogReader(w.context());
    const seen: LaneLogEvent[] = [];
    const stop = new AbortController();
    const notes: string[] = [];
    const following = reader.follow(
      query({ filter: 'GET' }),
      (e) => {
        seen.push(e);
        if (seen.length === 2) stop.abort();
      },
      stop.signal,
      (n) => notes.push(n),
    );
    while (w.fake.logs.openSessions === 0) await w.clock.sleep(100);
    w.fake.logs.put(GROUP, 'gray/app/task-a', ['GET /orders 200', 'healthz ok']);
    w.fake.logs.put(GROUP, 'base/app/task-z', ['GET /orders from the baseline']);
    await w.clock.sleep(1500);
    w.fake.logs.put(GROUP, 'gray/app/task-b', ['GET /orders/1 200']);
    await following;
    expect(seen.map((e) => [e.instance, e.message])).toEqual([
      ['task-a', 'GET /orders 200'],
      ['task-b', 'GET /orders/1 200'],
    ]);
    expect(w.fake.calls).toContain('StartLiveTail');
    expect(notes).toEqual([]);
    await w.clock.sleep(2000);
    expect(w.fake.logs.openSessions).toBe(0);
  });

  it('falls back to polling FilterLogEvents where Live Tail is refused', async () => {
    const w = await world();
    w.fake.logs.liveTailAvailable = false;
    const reader = createAwsLogReader(w.context(), { pollIntervalMs: 1000 });
    const seen: string[] = [];
    const notes: string[] = [];
    const stop = new AbortController();
    const following = reader.follow(
      query(),
      (e) => {
        seen.push(e.message);
        if (seen.length === 3) stop.abort();
      },
      stop.signal,
      (n) => notes.push(n),
    );
    await w.clock.sleep(500);
    w.fake.logs.put(GROUP, 'gray/app/task-a', ['one', 'two']);
    await w.clock.sleep(1500);
    w.fake.logs.put(GROUP, 'gray/app/task-a', ['three']);
    await following;
    expect(seen).toEqual(['one', 'two', 'three']);
    expect(notes[0]).toMatch(/live tail is not available \(AccessDeniedException/);
    expect(notes[1]).toBe(`polling ${GROUP} every 1s`);
  });

  it('says how to create the log group when the service was never bootstrapped', async () => {
    const w = createFakeWorld();
    await w.bootstrap();
    await expect(createAwsLogReader(w.context()).read(query())).rejects.toThrow(
      /log group \/ecs\/dev\/orders does not exist; bootstrap the service with: lanes service bootstrap orders --env dev/,
    );
  });
});

describe("the fake's CloudWatch Logs holds to the documented limits", () => {
  it.each([
    [
      'DescribeLogStreams limit above 50',
      'DescribeLogStreams',
      { logGroupName: GROUP, limit: 51 },
      /between 1 and 50/,
    ],
    [
      'orderBy LastEventTime with a prefix',
      'DescribeLogStreams',
      { logGroupName: GROUP, logStreamNamePrefix: 'gray/', orderBy: 'LastEventTime' },
      /Cannot order by LastEventTime with a logStreamNamePrefix/,
    ],
    [
      'FilterLogEvents limit above 10,000',
      'FilterLogEvents',
      { logGroupName: GROUP, limit: 10_001 },
      /between 1 and 10000/,
    ],
    [
      'stream names and a prefix together',
      'FilterLogEvents',
      { logGroupName: GROUP, logStreamNames: ['a'], logStreamNamePrefix: 'a' },
      /mutually exclusive/,
    ],
    [
      'an unknown log group',
      'FilterLogEvents',
      { logGroupName: '/ecs/dev/nope' },
      /The specified log group does not exist/,
    ],
    [
      'Live Tail over more than 10 log groups',
      'StartLiveTail',
      { logGroupIdentifiers: Array.from({ length: 11 }, () => GROUP) },
      /between 1 and 10/,
    ],
  ])('refuses %s', async (_name, operation, input, message) => {
    const w = await world();
    await expect(w.fake.handle(operation, input)).rejects.toThrow(message);
  });
});
