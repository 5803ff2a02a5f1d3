/**
 * The lane map's HTTP server (`lanes ui`): a read-only page for one environment, served on 127.0.0.1 only.
 *
 * - `GET /` the page; `GET /app.js`, `/app.css` its code; `GET /vendor/*.js` the rendering library (Preact and
 *   htm, served from this CLI's own dependencies: no CDN, no build step);
 * - `GET /api/map` the environment's {@link LaneMap} as JSON;
 * - `GET /api/events` Server-Sent Events: a `map` event with the whole map whenever it changes (the target is
 *   polled only while a page is open);
 * - `GET /api/trace?service=S&lane=L[&path=P]` one traced request (`lanes trace`), as JSON.
 *
 * Security: it binds to 127.0.0.1; a request whose `Host` is not exactly the bound `127.0.0.1:<port>` is refused
 * (DNS rebinding: a page of another origin resolving its name to 127.0.0.1 sends its own host name); only GET
 * and HEAD are served (nothing changes a lane); a strict Content-Security-Policy allows only this origin's
 * scripts and the import map's hash. The map carries what `lanes ls` shows, never credentials.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LaneMap } from './lane-map.js';

/** Where the page's data comes from. */
export interface LaneMapSource {
  /** The current map of the environment. */
  map(): Promise<LaneMap>;
  /** Traces one request of `lane` from `service`'s entry; undefined when the target cannot trace. */
  trace?(service: string, lane: string, path: string): Promise<unknown>;
}

/** Options of {@link startUiServer}. */
export interface UiServerOptions {
  /** Where the data comes from. */
  readonly source: LaneMapSource;
  /** Port on 127.0.0.1; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** How often the target is polled for changes while a page is open, in ms. @default 1000 */
  readonly pollMs?: number;
  /** Where errors of the polling go. @default nothing */
  readonly log?: (line: string) => void;
}

/** A running UI server. */
export interface UiServer {
  /** `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** Stops it, closing open event streams. */
  close(): Promise<void>;
}

/** The only address the server listens on. */
const HOST = '127.0.0.1';

/** The static files of the page, beside `src/` and `dist/` (`packages/cli/ui/`). */
const UI_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));

const require = createRequire(import.meta.url);
/** The browser build (`*.module.js`) beside the file a package's `require` entry resolves to. */
const browserBuild = (specifier: string, file: string) =>
  path.join(path.dirname(require.resolve(specifier)), file);

/** The rendering library's ES modules, by the path the page imports them from. */
const VENDOR: Readonly<Record<string, string>> = {
  '/vendor/preact.js': browserBuild('preact', 'preact.module.js'),
  '/vendor/preact-hooks.js': browserBuild('preact/hooks', 'hooks.module.js'),
  '/vendor/htm.js': browserBuild('htm', 'htm.module.js'),
};

/** The import map that lets the page and Preact's hooks `import 'preact'` without a bundler. */
const IMPORT_MAP = JSON.stringify({
  imports: { preact: '/vendor/preact.js', 'preact/hooks': '/vendor/preact-hooks.js', htm: '/vendor/htm.js' },
});
const IMPORT_MAP_HASH = createHash('sha256').update(IMPORT_MAP).digest('base64');

const SECURITY_HEADERS = {
  'content-security-policy': `default-src 'none'; script-src 'self' 'sha256-${IMPORT_MAP_HASH}'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-resource-policy': 'same-origin',
} as const;

function page(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="/app.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="/app.js"></script>
</head>
<body><main id="app">Loading the lane map…</main></body>
</html>
`;
}

function send(response: http.ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': type,
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

function sendJson(response: http.ServerResponse, status: number, value: unknown): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

/** Starts the server; resolves once it listens. */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const { source } = options;
  const pollMs = options.pollMs ?? 1000;
  const streams = new Set<http.ServerResponse>();
  let port = 0;
  let last = '';
  let lastKey = '';
  let timer: NodeJS.Timeout | undefined;

  const poll = async (): Promise<void> => {
    try {
      const map = await source.map();
      // A change is a change of the lanes, not of the time the map was read.
      const key = JSON.stringify({ ...map, generatedAt: undefined });
      if (key !== lastKey) {
        lastKey = key;
        last = JSON.stringify(map);
        for (const s of streams) s.write(`event: map\ndata: ${last}\n\n`);
      }
    } catch (error) {
      options.log?.(`lane map: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (streams.size > 0) timer = setTimeout(poll, pollMs);
    else timer = undefined;
  };

  const handle = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
    // DNS rebinding: only requests addressed to the bound address itself.
    if (request.headers.host !== `${HOST}:${port}`) {
      sendJson(response, 403, { error: `refused: Host must be ${HOST}:${port}` });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      sendJson(response, 405, { error: 'the lane map is read-only' });
      return;
    }
    const url = new URL(request.url ?? '/', `http://${HOST}:${port}`);
    const vendor = VENDOR[url.pathname];
    if (url.pathname === '/') {
      send(response, 200, 'text/html; charset=utf-8', page('ecs-lanes — lane map'));
    } else if (url.pathname === '/app.js' || url.pathname === '/app.css') {
      const type = url.pathname.endsWith('.js') ? 'text/javascript' : 'text/css';
      send(response, 200, `${type}; charset=utf-8`, await readFile(path.join(UI_DIR, url.pathname.slice(1))));
    } else if (vendor) {
      send(response, 200, 'text/javascript; charset=utf-8', await readFile(vendor));
    } else if (url.pathname === '/api/map') {
      sendJson(response, 200, await source.map());
    } else if (url.pathname === '/api/events') {
      response.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': 'text/event-stream',
        connection: 'keep-alive',
      });
      streams.add(response);
      if (last) response.write(`event: map\ndata: ${last}\n\n`);
      request.on('close', () => streams.delete(response));
      if (!timer) void poll();
    } else if (url.pathname === '/api/trace') {
      const service = url.searchParams.get('service') ?? '';
      const lane = url.searchParams.get('lane') ?? '';
      if (!service || !lane) {
        sendJson(response, 400, { error: 'pass service and lane: /api/trace?service=web&lane=gray' });
      } else if (!source.trace) {
        sendJson(response, 501, { error: 'this target cannot trace requests' });
      } else {
        sendJson(response, 200, await source.trace(service, lane, url.searchParams.get('path') ?? '/'));
      }
    } else {
      sendJson(response, 404, { error: `no such page: ${url.pathname}` });
    }
  };

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        sendJson(response, 500, { error: error instanceof Error ? error.message : String(error) });
      else response.end();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${HOST}:${port}/`,
    close: async () => {
      if (timer) clearTimeout(timer);
      for (const s of streams) s.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
