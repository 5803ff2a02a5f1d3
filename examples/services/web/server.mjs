// web: the front of the demo chain (web -> orders -> inventory).
// Answers JSON with its service name, lane and version and the answers of the services it calls, so that one
// response shows the whole route of a request. Lane context and lane-aware calls come from the ecs-lanes SDK.
import http from 'node:http';
import { createLanesFetch, laneHandler, localRegistryResolver } from '@ecs-lanes/sdk';

const SERVICE = 'web';
const VERSION = '1.0.0';
const CALLS = ['orders'];

const { PORT = '8080', ENV = 'local', LANE = 'base', LANES_BASELINE = 'base' } = process.env;
const lanesFetch = createLanesFetch({
  resolver: localRegistryResolver(),
  env: ENV,
  baseline: LANES_BASELINE,
});

async function call(service) {
  try {
    const response = await lanesFetch(`http://${service}/`);
    return await response.json();
  } catch (error) {
    return { service, error: error.message };
  }
}

const server = http.createServer(
  laneHandler(
    async (request, response) => {
      if (request.url === '/healthz') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ ok: true, service: SERVICE, lane: LANE }));
        return;
      }
      const calls = await Promise.all(CALLS.map(call));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ service: SERVICE, lane: LANE, version: VERSION, calls }));
    },
    { lane: LANE },
  ),
);
server.keepAliveTimeout = 30_000;
server.listen(Number(PORT), '127.0.0.1', () =>
  console.log(`${SERVICE} ${VERSION} (lane ${LANE}) on 127.0.0.1:${PORT}`),
);

// Graceful stop: finish what is in flight, then exit.
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 3_000).unref();
});
