/**
 * Server integrations: each reads the lane of an incoming request, keeps it in async context for the whole
 * request, and marks the response with the lane of the instance that answered.
 *
 * - plain `node:http`: {@link laneHandler} wraps a request listener;
 * - Express 5: {@link laneMiddleware};
 * - Fastify 5: {@link lanePlugin}.
 *
 * Express and Fastify are optional peer dependencies: only their types are imported here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { FastifyPluginCallback } from 'fastify';
import { laneContextFromHeaders, runWithLaneContext } from './context.js';
import { serveTraced } from './trace.js';

/** The default response header naming the lane of the instance that answered. */
export const DEFAULT_LANE_RESPONSE_HEADER = 'x-lanes-lane';

/** Options of every server integration. */
export interface LaneServerOptions {
  /**
   * The lane of this instance (the one that answers), written to {@link responseHeader}.
   * @default no response header is written
   */
  readonly lane?: string;
  /**
   * The response header that names the lane of the instance that answered, or `false` for none.
   * @default 'x-lanes-lane'
   */
  readonly responseHeader?: string | false;
}

/** The response header to write, as [name, value], or undefined for none. Computed once per configuration. */
function responseHeaderOf(options: LaneServerOptions): readonly [string, string] | undefined {
  const name = options.responseHeader ?? DEFAULT_LANE_RESPONSE_HEADER;
  return name === false || options.lane === undefined ? undefined : [name, options.lane];
}

/**
 * Wraps a plain `node:http` request listener: `http.createServer(laneHandler(listener, { lane }))`.
 * The listener, everything async it starts, and the request's own events (`data`, `end`, ... emitted later from
 * the socket, outside the request's async context) see the request's lane through `currentLane()`.
 */
export function laneHandler<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(
  listener: (request: Req, response: Res) => unknown,
  options: LaneServerOptions = {},
): (request: Req, response: Res) => unknown {
  const header = responseHeaderOf(options);
  return (request, response) => {
    if (header !== undefined) response.setHeader(header[0], header[1]);
    const context = laneContextFromHeaders(request.headers);
    if (context.traceState !== undefined) {
      // Without a tracestate there is nothing to lose: events outside any context already read as the baseline.
      const emit = request.emit;
      request.emit = (...args: Parameters<typeof emit>) =>
        runWithLaneContext(context, () => emit.apply(request, args));
    }
    return serveTraced(request, response, options.lane, () =>
      runWithLaneContext(context, () => listener(request, response)),
    );
  };
}

/**
 * Express 5 middleware: `app.use(laneMiddleware({ lane }))`, before the routes (before or after body parsers).
 */
export function laneMiddleware(options: LaneServerOptions = {}): RequestHandler {
  const header = responseHeaderOf(options);
  return (request: Request, response: Response, next: NextFunction) => {
    if (header !== undefined) response.setHeader(header[0], header[1]);
    serveTraced(request, response, options.lane, () =>
      runWithLaneContext(laneContextFromHeaders(request.headers), next),
    );
  };
}

/**
 * Fastify 5 plugin: `await app.register(lanePlugin, { lane })`. Applies to every route of the instance it is
 * registered on (it is not encapsulated, like plugins wrapped with `fastify-plugin`). The context entered in
 * `onRequest` lasts through body parsing and the handler (tested with a slowly streamed body).
 */
export const lanePlugin: FastifyPluginCallback<LaneServerOptions> = (app, options, done) => {
  const header = responseHeaderOf(options);
  app.addHook('onRequest', (request, reply, next) => {
    if (header !== undefined) reply.header(header[0], header[1]);
    serveTraced(request.raw, reply.raw, options.lane, () =>
      runWithLaneContext(laneContextFromHeaders(request.headers), next),
    );
  });
  done();
};
/** What `fastify-plugin` does: skip encapsulation so the hooks apply to the registering instance's routes. */
function unencapsulated<T extends object>(plugin: T): T {
  return Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: '@ecs-lanes/sdk',
  });
}
unencapsulated(lanePlugin);

/** {@link lanePlugin} with its options bound: `await app.register(createLanePlugin({ lane }))`. */
export function createLanePlugin(options: LaneServerOptions): FastifyPluginCallback {
  return unencapsulated<FastifyPluginCallback>((app, _ignored, done) => lanePlugin(app, options, done));
}
