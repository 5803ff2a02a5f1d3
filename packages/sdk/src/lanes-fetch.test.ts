import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  configureFromEnv,
  createLanesFetch,
  DiscoveryCache,
  type FetchLike,
  type LaneRoute,
  laneContextFromTraceState,
  NoInstanceError,
  runWithLaneContext,
  type StaticServiceMap,
  staticResolver,
} from './index.js';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const inRequest = <T>(tracestate: string | undefined, fn: () => T, traceparent?: string): T =>
  runWithLaneContext(laneContextFromTraceState(tracestate, traceparent), fn);

function recorder() {
  const sent: { url: string; tracestate: string | null }[] = [];
  const fetch: FetchLike = async (input, init) => {
    const request = new Request(input, init);
    sent.push({ url: request.url, tracestate: request.headers.get('tracestate') });
    return new Response('ok');
  };
  return { fetch, sent };
}

const resolver = staticResolver({
  orders: { base: ['10.0.0.1:80', '10.0.0.2:80'], gray: ['10.0.1.1:8080'] },
  inventory: { base: ['10.0.2.1:80'], gray: [{ host: '10.0.3.1', port: 80, health: 'UNHEALTHY' }] },
  empty: {},
});

describe('createLanesFetch', () => {
  it("sends a call in a lane to that lane's instance and propagates the lane", async () => {
    const { fetch, sent } = recorder();
    const lanesFetch = createLanesFetch({ resolver, env: 'dev', fetch });
    await inRequest('congo=1,ctx=lane:gray', () => lanesFetch('http://orders/items?x=1'), TRACEPARENT);
    expect(sent).toEqual([{ url: 'http://10.0.1.1:8080/items?x=1', tracestate: 'ctx=lane:gray,congo=1' }]);
  });

  it.each([
    ['a query and a fragment', 'http://orders/items?x=1&y=2#top', 'http://10.0.1.1:8080/items?x=1&y=2#top'],
    ['no path', 'http://orders', 'http://10.0.1.1:8080/'],
    ['an uppercase host', 'http://ORDERS/a', 'http://10.0.1.1:8080/a'],
    ['a port on the logical host', 'http://orders:9999/a', 'http://10.0.1.1:8080/a'],
    ['a URL object (parsed the slow way)', new URL('http://orders/b?q'), 'http://10.0.1.1:8080/b?q'],
  ])('rewrites a URL with %s to the instance, keeping the rest', async (_, url, expected) => {
    const { fetch, sent } = recorder();
    const lanesFetch = createLanesFetch({ resolver, env: 'dev', fetch });
    await inRequest('ctx=lane:gray', () => lanesFetch(url));
    expect(sent[0]?.url).toBe(expected);
  });

  it('merges any spelling of tracestate in plain-object headers, keeping the other headers', async () => {
    const seen: Record<string, string>[] = [];
    const fetch: FetchLike = async (_input, init) => {
      seen.push(Object.fromEntries(new Headers(init?.headers).entries()));
      return new Response('ok');
    };
    const lanesFetch = createLanesFetch({ resolver, env: 'dev', fetch });
    await inRequest('ctx=lane:gray', () =>
      lanesFetch('http://orders/a', { headers: { TraceState: 'rojo=1', 'x-id': '7' } }),
    );
    expect(seen).toEqual([
      {
        traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-02$/),
        tracestate: 'ctx=lane:gray,rojo=1',
        'x-id': '7',
      },
    ]);
  });

  it('round-robins among the chosen instances of the baseline', async () => {
    const { fetch, sent } = recorder();
    const lanesFetch = createLanesFetch({ resolver, env: 'dev', fetch });
    for (let index = 0; index < 4; index++) await lanesFetch('http://orders/');
    expect(sent.map((call) => call.url)).toEqual([
      'http://10.0.0.1/',
      'http://10.0.0.2/',
      'http://10.0.0.1/',
      'http://10.0.0.2/',
    ]);
    expect(sent.every((call) => call.tracestate === null)).toBe(true);
  });

  it.each([
    ['a lane that the service does not have', 'ctx=lane:blue', 'orders', 'base', true],
    ['a lane whose instances are all unhealthy', 'ctx=lane:gray', 'inventory', 'base', true],
    ['the lane', 'ctx=lane:gray', 'orders', 'gray', false],
    ['no lane', undefined, 'orders', 'base', false],
  ])('falls back per hop: %s', async (_, tracestate, service, lane, fellBack) => {
    const routes: LaneRoute[] = [];
    const { fetch } = recorder();
    const lanesFetch = createLanesFetch({
      resolver,
      env: 'dev',
      fetch,
      onRoute: (route) => routes.push(route),
    });
    await inRequest(tracestate, () => lanesFetch(`http://${service}/`));
    expect(routes).toMatchObject([{ service, lane, fellBack }]);
  });

  it('keeps propagating the requested lane after a fallback', async () => {
    const { fetch, sent } = recorder();
    const lanesFetch = createLanesFetch({ resolver, env: 'dev', fetch });
    await inRequest('ctx=lane:gray', () => lanesFetch('http://inventory/'));
    expect(sent).toEqual([{ url: 'http://10.0.2.1/', tracestate: 'ctx=lane:gray' }]);
  });

  it('route() tells where a call goes without sending it', async () => {
    const lanesFetch = createLanesFetch({ resolver, env: 'dev', fetch: recorder().fetch });
    const route = await inRequest('ctx=lane:gray', () => lanesFetch.route('http://inventory/a'));
    expect(route).toMatchObject({
      service: 'inventory',
      requestedLane: 'gray',
      lane: 'base',
      fellBack: true,
      url: 'http://10.0.2.1/a',
    });
    expect(await lanesFetch.route('http://api.example.com/')).toBeUndefined();
  });

  it('calls hosts that are not logical service names as they are, still propagating the lane', async () => {
    const { fetch, sent } = recorder();
    const lanesFetch = createLanesFetch({ resolver, env: 'dev', fetch });
    await inRequest('ctx=lane:gray', async () => {
      await lanesFetch('http://127.0.0.1:9/x');
      await lanesFetch('http://localhost:9/x');
      await lanesFetch('https://api.example.com/x');
    });
    expect(sent.map((call) => [call.url, call.tracestate])).toEqual([
      ['http://127.0.0.1:9/x', 'ctx=lane:gray'],
      ['http://localhost:9/x', 'ctx=lane:gray'],
      ['https://api.example.com/x', 'ctx=lane:gray'],
    ]);
  });

  it('rewrites a Request input, keeping method and body', async () => {
    let seen: Request | undefined;
    const lanesFetch = createLanesFetch({
      resolver,
      env: 'dev',
      fetch: async (input, init) => {
        seen = new Request(input, init);
        return new Response('ok');
      },
    });
    await inRequest('ctx=lane:gray', () =>
      lanesFetch(
        new Request('http://orders/o', { method: 'POST', body: '{"a":1}', headers: { 'x-a': '1' } }),
      ),
    );
    expect(seen?.url).toBe('http://10.0.1.1:8080/o');
    expect(seen?.method).toBe('POST');
    expect(await seen?.text()).toBe('{"a":1}');
    expect(seen?.headers.get('x-a')).toBe('1');
    expect(seen?.headers.get('tracestate')).toBe('ctx=lane:gray');
  });

  it('throws NoInstanceError when not even the baseline has an instance', async () => {
    const lanesFetch = createLanesFetch({ resolver, env: 'dev', fetch: recorder().fetch });
    await expect(inRequest('ctx=lane:gray', () => lanesFetch('http://empty/'))).rejects.toThrow(
      NoInstanceError,
    );
    await expect(lanesFetch('http://empty/')).rejects.toThrow(/no healthy instance of service "empty"/);
  });

  it('uses the configured baseline name', async () => {
    const lanesFetch = createLanesFetch({
      resolver: staticResolver({ orders: { main: ['10.9.9.9:1'] } }),
      env: 'dev',
      baseline: 'main',
      fetch: recorder().fetch,
    });
    expect(await inRequest('ctx=lane:gray', () => lanesFetch.route('http://orders/'))).toMatchObject({
      lane: 'main',
      fellBack: true,
    });
  });
});

describe('configureFromEnv', () => {
  it('reads ENV, LANE, PORT and LANES_BASELINE', () => {
    const lanes = configureFromEnv({
      variables: { ENV: 'dev', LANE: 'gray', PORT: '4100', LANES_BASELINE: 'main' },
      resolver,
    });
    expect([lanes.env, lanes.lane, lanes.baseline, lanes.port]).toEqual(['dev', 'gray', 'main', 4100]);
    expect(lanes.serverOptions).toEqual({ lane: 'gray' });
  });

  it('defaults LANE to the baseline (base) and PORT to 3000', () => {
    const lanes = configureFromEnv({ variables: { ENV: 'dev' }, resolver });
    expect([lanes.lane, lanes.baseline, lanes.port]).toEqual(['base', 'base', 3000]);
  });

  it.each([
    [
      'on the local target (LANES_REGISTRY_URL set): loopback only',
      { LANES_REGISTRY_URL: 'http://127.0.0.1:1' },
      '127.0.0.1',
    ],
    ['on ECS: every interface, so the ALB and other tasks reach the task', {}, '0.0.0.0'],
    ['HOST when given', { HOST: '::' }, '::'],
  ])('listens %s', (_, extra, host) => {
    expect(configureFromEnv({ variables: { ENV: 'dev', ...extra }, resolver }).host).toBe(host);
  });

  it('uses the local registry when LANES_REGISTRY_URL is set', async () => {
    const asked: string[] = [];
    const lanes = configureFromEnv({
      variables: { ENV: 'dev', LANES_REGISTRY_URL: 'http://127.0.0.1:1' },
      fetch: async (input) => {
        asked.push(String(input instanceof Request ? input.url : input));
        return Response.json({ Instances: [] });
      },
    });
    await lanes.resolver.discover('orders', 'dev');
    expect(asked).toEqual(['http://127.0.0.1:1/v1/discover?namespace=dev.local&service=orders']);
  });

  it.each([
    [{}, /ENV is not set/],
    [{ ENV: 'dev', LANE: 'Gray Lane' }, /LANE="Gray Lane"/],
    [{ ENV: 'dev', LANES_BASELINE: 'all' }, /LANES_BASELINE="all".*reserved/],
    [{ ENV: 'dev', PORT: 'eighty' }, /PORT="eighty" is not a port/],
  ])('fails clearly on %j', (variables, message) => {
    expect(() => configureFromEnv({ variables, resolver })).toThrow(message);
  });

  describe('when an instance from the last answer is gone', () => {
    async function closedPort(): Promise<number> {
      const server = createServer();
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as AddressInfo;
      await new Promise((r) => server.close(r));
      return port;
    }

    it('asks the resolver again and retries an idempotent call once, falling back to the baseline', async () => {
      const base = createServer((_req, res) => res.end('base'));
      await new Promise<void>((r) => base.listen(0, '127.0.0.1', r));
      const basePort = (base.address() as AddressInfo).port;
      const gone = await closedPort();
      const answers: StaticServiceMap[] = [
        { orders: { base: [`127.0.0.1:${basePort}`], gray: [`127.0.0.1:${gone}`] } },
        { orders: { base: [`127.0.0.1:${basePort}`] } },
      ];
      let loads = 0;
      const cache = new DiscoveryCache((service, env) =>
        staticResolver(answers[Math.min(loads++, 1)]!).discover(service, env),
      );
      try {
        const lanesFetch = createLanesFetch({ resolver: cache, env: 'dev' });
        const response = await inRequest('ctx=lane:gray', () => lanesFetch('http://orders/'));
        expect(await response.text()).toBe('base');
        expect(loads).toBe(2);
        // A call with a body is not sent twice: the failure reaches the caller, and nothing is asked again.
        loads = 0;
        const fresh = new DiscoveryCache((service, env) =>
          staticResolver(answers[Math.min(loads++, 1)]!).discover(service, env),
        );
        const postFetch = createLanesFetch({ resolver: fresh, env: 'dev' });
        await expect(
          inRequest('ctx=lane:gray', () => postFetch('http://orders/', { method: 'POST', body: 'x' })),
        ).rejects.toThrow(/fetch failed/);
        expect(loads).toBe(1);
      } finally {
        await new Promise((r) => base.close(r));
      }
    });
  });
});
