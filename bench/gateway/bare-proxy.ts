/**
 * The runtime's limit for the gateway benchmark: a bare Node proxy with the gateway's own `http` server and
 * keep-alive client settings (`packages/local/src/gateway.ts`) and nothing else — no routing, no header
 * filtering, no health, no bookkeeping: every request goes to the baseline upstream and the answer is piped back.
 * What the gateway costs above this is the price of routing; below it no Node proxy of this shape can go.
 * Shaped like the gateway (`setRoutes`, `listen`, `close`) so that `serve.ts` runs it the same way.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface Upstream {
  readonly port: number;
}

/** A proxy to one upstream (the baseline's first instance). */
export class Gateway {
  private upstreamPort = 0;
  private server: http.Server | undefined;
  private readonly agent = new http.Agent({
    keepAlive: true,
    keepAliveMsecs: 1_000,
    maxSockets: 256,
    maxFreeSockets: 256,
    scheduling: 'lifo',
  });

  constructor(readonly service: string) {}

  /** Takes the baseline's first instance as the only upstream. */
  setRoutes(routes: { baseline: string; lanes: Map<string, readonly Upstream[]> }): void {
    this.upstreamPort = routes.lanes.get(routes.baseline)?.[0]?.port ?? 0;
  }

  /** Listens on 127.0.0.1:`port`. */
  async listen(port: number): Promise<number> {
    const server = http.createServer({ keepAliveTimeout: 30_000 }, (request, response) => {
      const proxied = http.request(
        {
          host: '127.0.0.1',
          port: this.upstreamPort,
          method: request.method,
          path: request.url,
          headers: request.rawHeaders as unknown as http.OutgoingHttpHeaders,
          agent: this.agent,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
          answer.pipe(response);
        },
      );
      proxied.on('error', () => {
        response.writeHead(502);
        response.end();
      });
      request.pipe(proxied);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  /** Stops listening and closes the upstream connections. */
  async close(): Promise<void> {
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
    this.agent.destroy();
  }
}
