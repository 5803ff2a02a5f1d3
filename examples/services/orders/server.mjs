// orders: the middle of the demo chain (web -> orders -> inventory).
// Answers JSON with its service name, lane and version and the answers of the services it calls, so that one
// response shows the whole route of a request. Everything lane-related comes from the ecs-lanes SDK, configured
// from the environment the local target (or ECS) gives the process: ENV, LANE, PORT, LANES_REGISTRY_URL.
// Each example service is its own App repo, so this file stands alone.
import http from 'node:http';
import { configureFromEnv } from '@ecs-lanes/sdk';

const SERVICE = 'orders';
const VERSION = '1.0.0';
const CALLS = ['inventory'];

const lanes = configureFromEnv({ defaultPort: 8080 });
// A value from the lane's configuration: the service-wide one, or the lane's override (see docs/operations.md).
const FEATURE_FLAG = process.env.FEATURE_FLAG;

async function call(service) {
  try {
    return await (await lanes.fetch(`http://${service}/`)).json();
  } catch (error) {
    return { service, error: error.message };
  }
}

const server = http.createServer(
  lanes.handler(async (request, response) => {
    const body =
      request.url === '/healthz'
        ? { ok: true, service: SERVICE, lane: lanes.lane }
        : {
            service: SERVICE,
            lane: lanes.lane,
            version: VERSION,
            // Configuration of the lane (lanes config; SSM Parameter Store on AWS), echoed to show overrides.
            ...(FEATURE_FLAG === undefined ? {} : { featureFlag: FEATURE_FLAG }),
            calls: await Promise.all(CALLS.map(call)),
          };
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  }),
);
server.keepAliveTimeout = 30_000;
server.listen(lanes.port, lanes.host, () =>
  console.log(`${SERVICE} ${VERSION} (lane ${lanes.lane}) on ${lanes.host}:${lanes.port}`),
);

// Graceful stop: finish what is in flight, then exit.
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 3_000).unref();
});
