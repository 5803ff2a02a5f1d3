/**
 * The gateway under faults, with real sockets on 127.0.0.1 (ports from the OS): what a caller sees must be what it
 * would see behind an ALB.
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { GATEWAY_LANE_HEADER, Gateway, type GatewayLimits } from './gateway.js';
import { closeServer, listen } from './registry.js';

const servers: http.Server[] = [];
const gateways: Gateway[] = [];
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await Promise.all(servers.map((s) => closeServer(s)));
});

async function upstream(handler: http.RequestListener): Promise<number> {
  const server = http.createServer({ maxHeaderSize: 128 * 1024 }, handler);
  servers.push(server);
  return listen(server, 0);
}

/** A gateway of `orders` with one baseline instance (healthy unless told) on `port`. */
async function gatewayTo(
  lanes: Record<string, { port: number; healthy?: boolean }[]>,
  limits: Partial<GatewayLimits> = {},
): Promise<string> {
  const gateway = new Gateway('orders', limits);
  gateways.push(gateway);
  gateway.setRoutes({
    baseline: 'base',
    lanes: new Map(
      Object.entries(lanes).map(([lane, instances]) => [
        lane,
        instances.map((i, n) => ({ id: `${lane}-${n}`, port: i.port, healthy: i.healthy ?? true })),
      ]),
    ),
  });
  return `http://127.0.0.1:${await gateway.listen(0)}`;
}

/** Sends a raw HTTP/1.1 request and resolves with the status line and the time to get it. */
function rawStatus(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(head));
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('\r\n')) {
        socket.destroy();
        resolve(data.slice(0, data.indexOf('\r\n')));
      }
    });
    socket.on('error', reject);
  });
}

describe('the gateway under faults (as behind an ALB)', () => {
  it('answers a large upload at once when the service answers before reading the body', async () => {
    const port = await upstream((_req, res) => {
      res.writeHead(413, { 'content-type': 'text/plain', 'content-length': '8' });
      res.end('too big\n');
    });
    const url = new URL(await gatewayTo({ base: [{ port }] }));
    // As curl does: send the whole body, whatever comes back meanwhile; then read the answer.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const upload = () =>
      new Promise<{ status: number; body: string; sent: boolean }>((resolve, reject) => {
        const request = http.request({
          host: '127.0.0.1',
          port: url.port,
          method: 'POST',
          path: '/upload',
          agent,
          headers: { 'content-type': 'application/octet-stream' },
        });
        const sent = new Promise<boolean>((r) => request.on('finish', () => r(true)));
        request.on('error', reject);
        request.on('response', (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (c: string) => {
            body += c;
          });
          response.on('end', async () =>
            resolve({ status: response.statusCode ?? 0, body, sent: await sent }),
          );
        });
        request.end(Buffer.alloc(10 * 1024 * 1024, 'x'));
      });
    // The gateway's keep-alive timeout is 60 s: a stalled upload fails this test by its 20 s timeout.
    const first = await upload();
    expect(first).toEqual({ status: 413, body: 'too big\n', sent: true });
    // The connection stays usable for the next request.
    expect(await upload()).toEqual({ status: 413, body: 'too big\n', sent: true });
    agent.destroy();
  }, 20_000);

  it('sets X-Forwarded-For (appending the client), X-Forwarded-Proto and X-Forwarded-Port', async () => {
    const port = await upstream((req, res) => {
      res.end(
        JSON.stringify({
          for: req.headers['x-forwarded-for'],
          proto: req.headers['x-forwarded-proto'],
          port: req.headers['x-forwarded-port'],
        }),
      );
    });
    const url = await gatewayTo({ base: [{ port }] });
    const gatewayPort = new URL(url).port;
    const plain = await (await fetch(url)).json();
    expect(plain).toEqual({ for: '127.0.0.1', proto: 'http', port: gatewayPort });
    const chained = await (
      await fetch(url, {
        headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-port': '1' },
      })
    ).json();
    expect(chained).toEqual({ for: '203.0.113.7, 127.0.0.1', proto: 'http', port: gatewayPort });
  });

  it('answers 504 when the upstream sends nothing for the idle timeout', async () => {
    const port = await upstream(() => {
      // never answers
    });
    const url = await gatewayTo({ base: [{ port }] }, { idleTimeoutMs: 300 });
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    expect(response.status).toBe(504);
    expect(((await response.json()) as { error: string }).error).toMatch(/sent nothing for 300 ms/);
  });

  it('applies the ALB header limits: 414 for a long request line, 431 for a long header or header block', async () => {
    const port = await upstream((_req, res) => res.end('ok'));
    const url = await gatewayTo({ base: [{ port }] });
    const gatewayPort = Number(new URL(url).port);
    expect(await rawStatus(gatewayPort, `GET /${'a'.repeat(17_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)).toBe(
      'HTTP/1.1 414 URI Too Long',
    );
    const response = await fetch(url, { headers: { 'x-big': 'b'.repeat(17_000) } });
    expect(response.status).toBe(431);
    expect(((await response.json()) as { error: string }).error).toBe(
      'header x-big is longer than 16384 bytes',
    );
    const many: Record<string, string> = {};
    for (let i = 0; i < 8; i++) many[`x-h${i}`] = 'c'.repeat(9_000);
    expect((await fetch(url, { headers: many })).status).toBe(431);
    const fine: Record<string, string> = {};
    for (let i = 0; i < 3; i++) fine[`x-h${i}`] = 'c'.repeat(15_000);
    expect((await fetch(url, { headers: fine })).status).toBe(200);
  });

  it('fails open: a lane whose instances are all unhealthy still gets its requests, not the baseline', async () => {
    const base = await upstream((_req, res) => res.end('base'));
    const gray = await upstream((_req, res) => res.end('gray'));
    const gray2 = await upstream((_req, res) => res.end('gray2'));
    const allUnhealthy = await gatewayTo({
      base: [{ port: base, healthy: false }],
      gray: [{ port: gray, healthy: false }],
    });
    const inLane = await fetch(allUnhealthy, { headers: { tracestate: 'ctx=lane:gray' } });
    expect(inLane.headers.get(GATEWAY_LANE_HEADER)).toBe('gray');
    expect(await inLane.text()).toBe('gray');
    expect(await (await fetch(allUnhealthy)).text()).toBe('base');
    // With one healthy instance in the group, only that one is used.
    const mixed = await gatewayTo({
      base: [{ port: base }],
      gray: [
        { port: gray, healthy: false },
        { port: gray2, healthy: true },
      ],
    });
    const answers = new Set<string>();
    for (let i = 0; i < 6; i++) {
      answers.add(await (await fetch(mixed, { headers: { tracestate: 'ctx=lane:gray' } })).text());
    }
    expect([...answers]).toEqual(['gray2']);
  });
});
