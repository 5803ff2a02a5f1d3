/**
 * A service that uses the SDK exactly as the README's quickstart does (`configureFromEnv`, `lanes.handler`,
 * `lanes.fetch`), run as its own process by `wire.e2e.test.ts`. It answers with what it received and, when it has
 * a next hop, what the next hop answered.
 *
 * Type-checked through the type-only import in `src/wire.e2e.test.ts`. Environment: `ENV`, `LANE`, `PORT` (0: any; the port is printed as `LISTENING <port>`), `SERVICE` (its name),
 * `NEXT` (optional: the URL to call, `http://<service>/...` for a logical name), `NEXT_SERVICES` (JSON for
 * `staticResolver`), `CLIENT` (`lanes-fetch`, default, `propagating-fetch` or `interceptor`), `OTEL=1` to set up
 * OpenTelemetry with the HTTP and undici auto-instrumentations first (see `otel-setup.ts`).
 */
import type { IncomingMessage } from 'node:http';

if (process.env.OTEL === '1') await import('./otel-setup.js');

const { createServer } = await import('node:http');
const { Agent, request } = await import('undici');
const sdk = await import('../src/index.js');

/** Every field of `traceparent` and `tracestate` as received, one entry per field line (rawHeaders). */
function traceFields(message: Pick<IncomingMessage, 'rawHeaders'>): Record<string, string[]> {
  const fields: Record<string, string[]> = { traceparent: [], tracestate: [] };
  for (let index = 0; index < message.rawHeaders.length; index += 2) {
    const name = message.rawHeaders[index]!.toLowerCase();
    if (name in fields) fields[name]!.push(message.rawHeaders[index + 1]!);
  }
  return fields;
}

const services = JSON.parse(process.env.NEXT_SERVICES ?? '{}');
const lanes = sdk.configureFromEnv({ resolver: sdk.staticResolver(services) });
const agent = new Agent().compose(sdk.laneInterceptor());
const next = process.env.NEXT;
const client = process.env.CLIENT ?? 'lanes-fetch';

async function callNext(url: string): Promise<unknown> {
  if (client === 'propagating-fetch') return (await sdk.propagatingFetch(url)).json();
  if (client === 'interceptor') return (await request(url, { dispatcher: agent })).body.json();
  return (await lanes.fetch(url)).json();
}

const server = createServer(
  lanes.handler(async (req, res) => {
    try {
      const answer = {
        service: process.env.SERVICE,
        lane: lanes.lane,
        requestLane: sdk.currentLane() ?? null,
        received: traceFields(req),
        next: next === undefined ? null : await callNext(next),
      };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer));
    } catch (error) {
      res.statusCode = 500;
      res.end(String((error as Error).stack));
    }
  }),
);
server.listen(lanes.port, lanes.host, () => {
  const address = server.address();
  process.stdout.write(`LISTENING ${typeof address === 'object' && address ? address.port : 0}\n`);
});
