/**
 * SDK overhead (issue 7, item 2).
 *
 * Method:
 * - Per outgoing call, in-process, with a transport that answers at once (a pre-built Response), so only the
 *   SDK's own work is timed: reading the lane from async context, writing `traceparent` and `tracestate`
 *   (issue 12: computed once per request, then reused by every call), and resolving `http://orders/...` with a
 *   warm cache. Two laned variants: a request that came in with only the lane (the SDK starts a trace), and one
 *   with a valid `traceparent` and two other vendors' entries (the SDK continues it and keeps them).
 *   Baseline, same run: the same transport called directly with the same headers (a bare call).
 *   Each variant runs in alternating rounds; the median round is reported, in nanoseconds per call.
 * - Cloud Map calls per service: a `cloudMapResolver` over a fake client that counts `DiscoverInstances`
 *   calls and answers after 2 ms, looked up as fast as possible for 10 s with the real clock and the default
 *   5 s TTL. The bound is ceil(duration / TTL) + 1 calls per service, whatever the lookup rate.
 */
import type { DiscoveredInstance } from '@ecs-lanes/core';
import { laneNames } from '@ecs-lanes/core';
import {
  createLanesFetch,
  laneContextFromTraceState,
  runInLane,
  runWithLaneContext,
  staticResolver,
} from '@ecs-lanes/sdk';
import { cloudMapResolver } from '@ecs-lanes/sdk/cloudmap';
import { markdownTable } from './lib/report.js';
import type { Benchmark } from './lib/types.js';

const OTHER_VENDORS = 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE';
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

async function timeRounds(
  variants: Record<string, (n: number) => Promise<void>>,
  perRound: number,
  rounds: number,
): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (const run of Object.values(variants)) await run(Math.min(perRound, 2000)); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of Object.entries(variants)) {
      const start = process.hrtime.bigint();
      await run(perRound);
      samples[name]!.push(Number(process.hrtime.bigint() - start) / perRound);
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([k, v]) => [k, [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!]),
  );
}

async function perCall(quick: boolean): Promise<string> {
  const response = new Response(null, { status: 204 });
  const transport = async (_url: string | URL | Request, _init?: RequestInit) => response;
  const lanesFetch = createLanesFetch({
    env: 'dev',
    resolver: staticResolver({ orders: { base: ['127.0.0.1:9001'], gray: ['127.0.0.1:9002'] } }),
    fetch: transport,
  });
  await runInLane('gray', () => lanesFetch('http://orders/items')); // warm the cache
  const headers = { tracestate: `ctx=lane:gray,${OTHER_VENDORS}` };
  const perRound = quick ? 5_000 : 50_000;
  const rounds = quick ? 3 : 11;
  const results = await timeRounds(
    {
      'bare call (transport only)': async (n) => {
        for (let i = 0; i < n; i++) await transport('http://127.0.0.1:9002/items', { headers });
      },
      'lanesFetch, baseline request (no lane)': async (n) => {
        for (let i = 0; i < n; i++) await lanesFetch('http://orders/items');
      },
      'lanesFetch, lane gray, no incoming traceparent (trace started)': (n) =>
        runInLane('gray', async () => {
          for (let i = 0; i < n; i++) await lanesFetch('http://orders/items');
        }),
      'lanesFetch, lane gray, incoming traceparent + 2 vendors (continued)': (n) =>
        runWithLaneContext(laneContextFromTraceState(headers.tracestate, TRACEPARENT), async () => {
          for (let i = 0; i < n; i++) await lanesFetch('http://orders/items');
        }),
    },
    perRound,
    rounds,
  );
  const bare = results['bare call (transport only)']!;
  return markdownTable(
    ['variant', 'ns per call (median of rounds)', 'overhead vs bare call'],
    Object.entries(results).map(([k, v]) => [
      k,
      v.toFixed(0),
      k.startsWith('bare') ? '-' : `+${(v - bare).toFixed(0)} ns`,
    ]),
  );
}

async function cloudMapCalls(quick: boolean): Promise<string> {
  const seconds = quick ? 2 : 10;
  const ttlMs = 5000;
  const services = ['orders', 'inventory', 'payments'];
  const calls = new Map<string, number>();
  const instances = (service: string): DiscoveredInstance[] =>
    ['base', 'gray'].map((lane) => ({
      InstanceId: `${service}-${lane}`,
      NamespaceName: 'dev.local',
      ServiceName: service,
      HealthStatus: 'HEALTHY',
      Attributes: {
        ECS_SERVICE_NAME: laneNames(service, 'dev', lane).ecsService,
        AWS_INSTANCE_IPV4: '10.0.0.1',
        AWS_INSTANCE_PORT: '8080',
      },
    }));
  const client = {
    send: async (command: { input: { ServiceName?: string } }) => {
      const service = command.input.ServiceName!;
      calls.set(service, (calls.get(service) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 2));
      return { Instances: instances(service) };
    },
  };
  // biome-ignore lint/suspicious/noExplicitAny: the fake client implements only `send`.
  const resolver = cloudMapResolver({ client: client as any, ttlMs });
  const end = Date.now() + seconds * 1000;
  let lookups = 0;
  while (Date.now() < end) {
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) batch.push(resolver.discover(services[i % services.length]!, 'dev'));
    await Promise.all(batch);
    lookups += batch.length;
  }
  const bound = Math.ceil((seconds * 1000) / ttlMs) + 1;
  return markdownTable(
    [
      'service',
      'lookups',
      'lookups per second',
      'DiscoverInstances calls',
      `bound (ceil(${seconds}s / TTL ${ttlMs / 1000}s) + 1)`,
    ],
    services.map((s) => [
      s,
      Math.round(lookups / services.length),
      Math.round(lookups / services.length / seconds),
      calls.get(s) ?? 0,
      bound,
    ]),
  );
}

export const sdkBenchmark: Benchmark = {
  title: 'SDK overhead per outgoing call, and Cloud Map calls per service',
  run: async ({ quick, log }) => {
    log('per-call overhead (in-process transport)');
    const a = await perCall(quick);
    log('Cloud Map calls at a high lookup rate');
    const b = await cloudMapCalls(quick);
    return {
      markdown: `Per outgoing call:\n\n${a}\n\nCloud Map \`DiscoverInstances\` calls per service:\n\n${b}`,
    };
  },
};
