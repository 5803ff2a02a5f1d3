/**
 * The lane map's server over real HTTP on 127.0.0.1: what it serves, what it refuses, and live updates.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { LaneCell, LaneMap } from './lane-map.js';
import { startUiServer, type UiServer } from './server.js';

function mapWith(cells: LaneCell[]): LaneMap {
  return {
    project: 'shop',
    env: 'local',
    target: 'local',
    baselineLane: 'base',
    generatedAt: new Date().toISOString(),
    services: [{ name: 'web', dependsOn: [] }],
    lanes: ['base', ...cells.map((c) => c.lane).filter((l) => l !== 'base')],
    cells,
    routes: {},
  };
}

const cell = (lane: string): LaneCell => ({
  service: 'web',
  env: 'local',
  lane,
  baseline: lane === 'base',
  state: 'serving',
  running: 1,
  desired: 1,
  healthy: 1,
});

/** A raw GET with a chosen Host header (fetch does not let a page — or a test — set it). */
function get(url: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
    (resolve, reject) => {
      const request = http.request(url, { method, headers }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (d) => {
          body += d;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
      });
      request.on('error', reject);
      request.end();
    },
  );
}

let server: UiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the lane map server', () => {
  it('listens on 127.0.0.1 and serves the page, its code and the rendering library from the CLI itself', async () => {
    server = await startUiServer({ source: { map: async () => mapWith([cell('base')]) } });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get(server.url);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script type="module" src="/app.js"></script>');
    expect(page.body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    for (const path of ['app.js', 'app.css', 'vendor/preact.js', 'vendor/preact-hooks.js', 'vendor/htm.js']) {
      const r = await get(`${server.url}${path}`);
      expect(r.status, path).toBe(200);
      expect(r.body.length, path).toBeGreaterThan(100);
    }
  });

  it('sends a strict Content-Security-Policy: scripts of this origin and the import map only', async () => {
    server = await startUiServer({ source: { map: async () => mapWith([]) } });
    const csp = (await get(server.url)).headers['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
  });

  it('refuses a request whose Host is not the bound address (DNS rebinding)', async () => {
    server = await startUiServer({ source: { map: async () => mapWith([cell('base')]) } });
    const port = new URL(server.url).port;
    for (const host of ['evil.example', `evil.example:${port}`, `localhost:${port}`, '127.0.0.1']) {
      const r = await get(`${server.url}api/map`, { host });
      expect(r.status, host).toBe(403);
      expect(r.body, host).not.toContain('web');
    }
    expect((await get(`${server.url}api/map`, { host: `127.0.0.1:${port}` })).status).toBe(200);
  });

  it('is read-only: anything but GET and HEAD is refused', async () => {
    server = await startUiServer({ source: { map: async () => mapWith([]) } });
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const r = await get(`${server.url}api/map`, {}, method);
      expect(r.status, method).toBe(405);
      expect(r.headers.allow).toBe('GET, HEAD');
    }
  });

  it('streams the map when it changes, and not when only the time of reading does', async () => {
    let cells = [cell('base')];
    server = await startUiServer({ source: { map: async () => mapWith(cells) }, pollMs: 100 });
    const events: LaneMap[] = [];
    const request = http.get(`${server.url}api/events`, (response) => {
      response.setEncoding('utf8');
      let buffer = '';
      response.on('data', (d: string) => {
        buffer += d;
        for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
          const data = /^data: (.*)$/m.exec(buffer.slice(0, i))?.[1];
          if (data) events.push(JSON.parse(data));
          buffer = buffer.slice(i + 2);
        }
      });
    });
    try {
      await expect.poll(() => events.length).toBe(1);
      await new Promise((r) => setTimeout(r, 400));
      expect(events).toHaveLength(1);
      cells = [cell('base'), cell('gray')];
      await expect.poll(() => events.length).toBe(2);
      expect(events[1]!.lanes).toEqual(['base', 'gray']);
    } finally {
      request.destroy();
    }
  });

  it('answers a trace request only with both service and lane, and says when the target cannot trace', async () => {
    server = await startUiServer({ source: { map: async () => mapWith([]) } });
    expect((await get(`${server.url}api/trace?service=web`)).status).toBe(400);
    const none = await get(`${server.url}api/trace?service=web&lane=gray`);
    expect(none.status).toBe(501);
    await server.close();
    server = await startUiServer({
      source: { map: async () => mapWith([]), trace: async (service, lane) => ({ root: { service, lane } }) },
    });
    const r = await get(`${server.url}api/trace?service=web&lane=gray`);
    expect(JSON.parse(r.body)).toEqual({ root: { service: 'web', lane: 'gray' } });
  });
});
