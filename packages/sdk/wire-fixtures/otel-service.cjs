/**
 * Service B of the polyglot chain: a plain OpenTelemetry Node service that does NOT use the SDK — what a service
 * in any language with OpenTelemetry does. A tracer provider with the default propagators (W3C `tracecontext`
 * and `baggage`), the HTTP and undici auto-instrumentations, and a handler that calls `NEXT` with the global
 * `fetch`. It knows nothing of lanes: OpenTelemetry carries `tracestate` (and so the lane) to the next hop.
 */
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici');

new NodeTracerProvider().register();
new HttpInstrumentation();
new UndiciInstrumentation();

const http = require('node:http');

function traceFields(req) {
  const fields = { traceparent: [], tracestate: [] };
  for (let index = 0; index < req.rawHeaders.length; index += 2) {
    const name = req.rawHeaders[index].toLowerCase();
    if (name in fields) fields[name].push(req.rawHeaders[index + 1]);
  }
  return fields;
}

const server = http.createServer(async (req, res) => {
  try {
    const next = await (await fetch(process.env.NEXT)).json();
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ service: process.env.SERVICE, lane: null, received: traceFields(req), next }));
  } catch (error) {
    res.statusCode = 500;
    res.end(String(error.stack));
  }
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
