/**
 * OpenTelemetry as a service sets it up with auto-instrumentation: a tracer provider registered with its
 * default propagators (W3C `tracecontext` and `baggage`), and the real `@opentelemetry/instrumentation-http` and
 * `@opentelemetry/instrumentation-undici`. Imported before `node:http` is loaded, so the HTTP instrumentation can
 * patch it (it hooks `require`, hence the `createRequire` below).
 */
import { createRequire } from 'node:module';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

new NodeTracerProvider().register();
// Instrumentations enable themselves when constructed, with the global tracer provider.
new HttpInstrumentation();
new UndiciInstrumentation();
createRequire(import.meta.url)('node:http');
