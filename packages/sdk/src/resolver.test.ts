import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DiscoverInstancesCommand } from '@aws-sdk/client-servicediscovery';
import type { DiscoveredInstance } from '@ecs-lanes/core/discovery';
import { laneNames } from '@ecs-lanes/core/naming';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CloudMapClientLike, cloudMapResolver } from './cloudmap.js';
import { DiscoveryCache, localRegistryResolver, staticResolver } from './index.js';

function instance(
  service: string,
  env: string,
  lane: string,
  port: number,
  health = 'HEALTHY',
): DiscoveredInstance {
  return {
    InstanceId: `${lane}-${port}`,
    NamespaceName: `${env}.local`,
    ServiceName: service,
    HealthStatus: health as DiscoveredInstance['HealthStatus'],
    Attributes: {
      ECS_SERVICE_NAME: laneNames(service, env, lane).ecsService,
      AWS_INSTANCE_IPV4: '10.0.0.1',
      AWS_INSTANCE_PORT: String(port),
    },
  };
}

/** A controllable clock and a loader whose calls are counted and settled by hand. */
function harness() {
  let now = 0;
  const calls: {
    service: string;
    env: string;
    resolve: (v: DiscoveredInstance[]) => void;
    reject: (e: unknown) => void;
  }[] = [];
  const cache = new DiscoveryCache(
    (service, env) =>
      new Promise((resolve, reject) => {
        calls.push({ service, env, resolve, reject });
      }),
    { ttlMs: 5_000, maxBackoffMs: 40_000, now: () => now },
  );
  return {
    cache,
    calls,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('DiscoveryCache', () => {
  const v1 = [instance('orders', 'dev', 'base', 1)];
  const v2 = [instance('orders', 'dev', 'base', 2)];

  it('refresh() calls at once after a failed connection, joins a call in flight, and is rate-limited', async () => {
    const { cache, calls, advance } = harness();
    const first = cache.discover('orders', 'dev');
    calls[0]!.resolve(v1);
    await first;
    advance(1_000); // well within the TTL: discover() would not call
    const refreshed = cache.refresh('orders', 'dev');
    expect(calls).toHaveLength(2);
    expect(cache.refresh('orders', 'dev')).toBe(refreshed); // joins the call in flight
    calls[1]!.resolve(v2);
    expect(await refreshed).toBe(v2);
    expect(await cache.discover('orders', 'dev')).toBe(v2);
    advance(100); // less than ttl/10 since the last refresh: a burst of failures makes no new call
    expect(await cache.refresh('orders', 'dev')).toBe(v2);
    expect(calls).toHaveLength(2);
    advance(500);
    void cache.refresh('orders', 'dev');
    expect(calls).toHaveLength(3);
  });

  it('coalesces concurrent cold lookups into one call', async () => {
    const { cache, calls } = harness();
    const lookups = Array.from({ length: 100 }, () => cache.discover('orders', 'dev'));
    expect(calls).toHaveLength(1);
    calls[0]!.resolve(v1);
    for (const result of await Promise.all(lookups)) expect(result).toBe(v1);
  });

  it('makes 1 call for 10,000 lookups within one TTL, and 1 more after the TTL', async () => {
    const { cache, calls, advance } = harness();
    const first = cache.discover('orders', 'dev');
    calls[0]!.resolve(v1);
    await first;
    for (let index = 0; index < 10_000; index++) {
      advance(0.4);
      expect(await cache.discover('orders', 'dev')).toBe(v1);
    }
    expect(calls).toHaveLength(1);
    advance(1_000); // now past the TTL: served stale, one background refresh
    const stale = await Promise.all(Array.from({ length: 1_000 }, () => cache.discover('orders', 'dev')));
    expect(stale.every((result) => result === v1)).toBe(true);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve(v2);
    await flush();
    expect(await cache.discover('orders', 'dev')).toBe(v2);
    expect(calls).toHaveLength(2);
  });

  it('keys by environment and service', async () => {
    const { cache, calls } = harness();
    void cache.discover('orders', 'dev');
    void cache.discover('orders', 'prod');
    void cache.discover('inventory', 'dev');
    expect(calls.map((call) => `${call.env}/${call.service}`)).toEqual([
      'dev/orders',
      'prod/orders',
      'dev/inventory',
    ]);
  });

  it('serves the stale answer on errors and throttling, and backs off before calling again', async () => {
    const { cache, calls, advance } = harness();
    const first = cache.discover('orders', 'dev');
    calls[0]!.resolve(v1);
    await first;
    advance(5_000);
    expect(await cache.discover('orders', 'dev')).toBe(v1);
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    calls[1]!.reject(throttled);
    await flush();
    // Backoff after the 1st failure: one TTL (5 s). No call meanwhile, whatever the rate.
    for (let index = 0; index < 1_000; index++) expect(await cache.discover('orders', 'dev')).toBe(v1);
    advance(4_999);
    await cache.discover('orders', 'dev');
    expect(calls).toHaveLength(2);
    advance(1);
    expect(await cache.discover('orders', 'dev')).toBe(v1);
    expect(calls).toHaveLength(3);
    calls[2]!.reject(throttled);
    await flush();
    // 2nd consecutive failure: 10 s.
    advance(9_999);
    await cache.discover('orders', 'dev');
    expect(calls).toHaveLength(3);
    advance(1);
    await cache.discover('orders', 'dev');
    expect(calls).toHaveLength(4);
    calls[3]!.resolve(v2);
    await flush();
    expect(await cache.discover('orders', 'dev')).toBe(v2);
  });

  it('caps the backoff at maxBackoffMs', async () => {
    const { cache, calls, advance } = harness();
    for (let failure = 1; failure <= 6; failure++) {
      const lookup = cache.discover('orders', 'dev');
      calls.at(-1)!.reject(new Error('down'));
      await expect(lookup).rejects.toThrow('down');
      advance(Math.min(5_000 * 2 ** (failure - 1), 40_000));
    }
    expect(calls).toHaveLength(6);
  });

  it('without a stale answer, rethrows the last error without calling until the backoff has passed', async () => {
    const { cache, calls, advance } = harness();
    const first = cache.discover('orders', 'dev');
    calls[0]!.reject(new Error('ServiceNotFound'));
    await expect(first).rejects.toThrow('ServiceNotFound');
    for (let index = 0; index < 100; index++) {
      await expect(cache.discover('orders', 'dev')).rejects.toThrow('ServiceNotFound');
    }
    expect(calls).toHaveLength(1);
    advance(5_000);
    const retry = cache.discover('orders', 'dev');
    expect(calls).toHaveLength(2);
    calls[1]!.resolve(v1);
    expect(await retry).toBe(v1);
  });

  it('treats a loader that throws synchronously like a failed call', async () => {
    const cache = new DiscoveryCache(() => {
      throw new Error('sync');
    });
    await expect(cache.discover('orders', 'dev')).rejects.toThrow('sync');
  });

  it('rejects a non-positive TTL', () => {
    expect(() => new DiscoveryCache(async () => [], { ttlMs: 0 })).toThrow(RangeError);
  });
});

describe('cloudMapResolver', () => {
  function fakeClient(answer: () => Promise<{ Instances?: unknown[] }>) {
    const inputs: unknown[] = [];
    const client: CloudMapClientLike = {
      send: async (command) => {
        expect(command).toBeInstanceOf(DiscoverInstancesCommand);
        inputs.push(command.input);
        return (await answer()) as never;
      },
    };
    return { client, inputs };
  }

  it('asks DiscoverInstances in namespace {env}.local for every health status', async () => {
    const base = instance('orders', 'dev', 'base', 1);
    const { client, inputs } = fakeClient(async () => ({ Instances: [base] }));
    const resolver = cloudMapResolver({ client });
    expect(await resolver.discover('orders', 'dev')).toEqual([base]);
    expect(inputs).toEqual([
      { NamespaceName: 'dev.local', ServiceName: 'orders', HealthStatus: 'ALL', MaxResults: 1000 },
    ]);
  });

  it('makes 1 call for 10,000 lookups within one TTL, and 1 more after it (fake clock)', async () => {
    let now = 0;
    const { client, inputs } = fakeClient(async () => ({
      Instances: [instance('orders', 'dev', 'base', 1)],
    }));
    const resolver = cloudMapResolver({ client, ttlMs: 5_000, now: () => now });
    await Promise.all(Array.from({ length: 10_000 }, () => resolver.discover('orders', 'dev')));
    for (let index = 0; index < 100; index++) {
      now += 49;
      await resolver.discover('orders', 'dev');
    }
    expect(inputs).toHaveLength(1);
    now = 5_000;
    await Promise.all(Array.from({ length: 10_000 }, () => resolver.discover('orders', 'dev')));
    expect(inputs).toHaveLength(2);
  });

  it('serves stale instances when Cloud Map throttles', async () => {
    let now = 0;
    let fail = false;
    const base = instance('orders', 'dev', 'base', 1);
    const { client, inputs } = fakeClient(async () => {
      if (fail) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return { Instances: [base] };
    });
    const errors: unknown[] = [];
    const resolver = cloudMapResolver({ client, now: () => now, onError: (error) => errors.push(error) });
    await resolver.discover('orders', 'dev');
    fail = true;
    now = 60_000;
    expect(await resolver.discover('orders', 'dev')).toEqual([base]);
    await flush();
    expect(await resolver.discover('orders', 'dev')).toEqual([base]);
    expect(inputs).toHaveLength(2);
    expect(errors).toHaveLength(1);
  });

  it('normalizes summaries: unknown health becomes UNKNOWN, entries without an id are skipped', async () => {
    const { client } = fakeClient(async () => ({
      Instances: [{ InstanceId: 'a', HealthStatus: 'WEIRD', Attributes: { X: '1' } }, { Attributes: {} }],
    }));
    expect(await cloudMapResolver({ client }).discover('orders', 'dev')).toEqual([
      {
        InstanceId: 'a',
        NamespaceName: 'dev.local',
        ServiceName: 'orders',
        HealthStatus: 'UNKNOWN',
        Attributes: { X: '1' },
      },
    ]);
  });
});

describe('localRegistryResolver', () => {
  let server: Server;
  let url: string;
  const queries: string[] = [];
  let status = 200;

  beforeAll(async () => {
    server = createServer((req, res) => {
      queries.push(req.url!);
      const query = new URL(req.url!, 'http://x');
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          Instances: [
            instance(
              query.searchParams.get('service')!,
              query.searchParams.get('namespace')!.split('.')[0]!,
              'base',
              7,
            ),
          ],
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('asks GET /v1/discover?namespace={env}.local&service={service} and caches the answer', async () => {
    queries.length = 0;
    const resolver = localRegistryResolver({ url, ttlMs: 60_000 });
    const [first] = await resolver.discover('orders', 'dev');
    await resolver.discover('orders', 'dev');
    expect(first?.Attributes.AWS_INSTANCE_PORT).toBe('7');
    expect(queries).toEqual(['/v1/discover?namespace=dev.local&service=orders']);
  });

  it('fails with the HTTP status when the registry answers an error and nothing is cached', async () => {
    status = 503;
    try {
      await expect(localRegistryResolver({ url }).discover('orders', 'dev')).rejects.toThrow(/HTTP 503/);
    } finally {
      status = 200;
    }
  });

  it('reads the URL from LANES_REGISTRY_URL, and says so when it is missing', () => {
    const saved = process.env.LANES_REGISTRY_URL;
    try {
      delete process.env.LANES_REGISTRY_URL;
      expect(() => localRegistryResolver()).toThrow(/LANES_REGISTRY_URL/);
      process.env.LANES_REGISTRY_URL = url;
      expect(() => localRegistryResolver()).not.toThrow();
    } finally {
      if (saved === undefined) delete process.env.LANES_REGISTRY_URL;
      else process.env.LANES_REGISTRY_URL = saved;
    }
  });
});

describe('staticResolver', () => {
  it('describes instances as ECS registers them, so lanes are read as on AWS', async () => {
    const resolver = staticResolver({
      orders: { base: ['127.0.0.1:3001'], gray: [{ host: '127.0.0.1', port: 3002, health: 'UNHEALTHY' }] },
    });
    const instances = await resolver.discover('orders', 'dev');
    expect(
      instances.map((i) => [i.Attributes.ECS_SERVICE_NAME, i.Attributes.AWS_INSTANCE_PORT, i.HealthStatus]),
    ).toEqual([
      ['orders-dev-base', '3001', 'HEALTHY'],
      ['orders-dev-gray', '3002', 'UNHEALTHY'],
    ]);
    expect(await resolver.discover('orders', 'dev')).toBe(instances);
    expect(await resolver.discover('unknown', 'dev')).toEqual([]);
  });

  it.each([
    [{ orders: { base: ['no-port'] } }, /host:port/],
    [{ orders: { 'Bad Lane': ['127.0.0.1:1'] } }, /invalid lane/],
  ])('rejects a bad map %j', (map, message) => {
    expect(() => staticResolver(map)).toThrow(message);
  });
});
