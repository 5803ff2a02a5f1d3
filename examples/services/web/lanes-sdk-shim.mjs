// TEMPORARY SHIM — stands in for @ecs-lanes/sdk until it lands on main; same names and shapes as the SDK's
// laneHandler, createLanesFetch and localRegistryResolver. Delete this file and import from '@ecs-lanes/sdk'.
import { AsyncLocalStorage } from 'node:async_hooks';
import { LOCAL_REGISTRY_DISCOVER_PATH, pickLaneInstances, readLane, withLane } from '@ecs-lanes/core';

const store = new AsyncLocalStorage();

export const currentLane = () => store.getStore();

export function laneHandler(listener, { lane } = {}) {
  return (request, response) => {
    if (lane) response.setHeader('x-lanes-lane', lane);
    return store.run(readLane(request.headers.tracestate), () => listener(request, response));
  };
}

export function localRegistryResolver({ url = process.env.LANES_REGISTRY_URL } = {}) {
  return {
    async discover(service, env) {
      const query = new URL(LOCAL_REGISTRY_DISCOVER_PATH, url);
      query.searchParams.set('namespace', `${env}.local`);
      query.searchParams.set('service', service);
      const response = await fetch(query);
      if (!response.ok) throw new Error(`local registry answered HTTP ${response.status}`);
      return (await response.json()).Instances;
    },
  };
}

export function createLanesFetch({ resolver, env, baseline = 'base' }) {
  return async (input, init = {}) => {
    const url = new URL(input);
    const lane = currentLane();
    const pick = pickLaneInstances(await resolver.discover(url.hostname, env), {
      service: url.hostname,
      env,
      lane,
      baseline,
    });
    const instance = pick.instances[Math.floor(Math.random() * pick.instances.length)];
    if (!instance) throw new Error(`no healthy instance of ${url.hostname}`);
    url.hostname = instance.Attributes.AWS_INSTANCE_IPV4;
    url.port = instance.Attributes.AWS_INSTANCE_PORT;
    const headers = new Headers(init.headers);
    const tracestate = withLane(headers.get('tracestate') ?? undefined, lane);
    if (tracestate) headers.set('tracestate', tracestate);
    return fetch(url, { ...init, headers });
  };
}
