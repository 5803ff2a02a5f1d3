import type { AddressInfo } from 'node:net';
import {
  type DiscoverInstancesOutput,
  LOCAL_REGISTRY_DISCOVER_PATH,
  pickLaneInstances,
} from '@ecs-lanes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from './registry.js';

const registry = new Registry('local', ['orders', 'web']);
let base = '';

beforeAll(async () => {
  const port = await registry.listen(0);
  base = `http://127.0.0.1:${port}`;
  registry.setInstances('orders', [
    { id: 'orders-base-1', lane: 'base', port: 4001, healthy: true },
    { id: 'orders-gray-1', lane: 'gray', port: 4002, healthy: true },
    { id: 'orders-feat-x-1', lane: 'feat-x', port: 4003, healthy: false },
  ]);
});
afterAll(() => registry.close());

const discover = (namespace: string, service: string) =>
  fetch(`${base}${LOCAL_REGISTRY_DISCOVER_PATH}?namespace=${namespace}&service=${service}`);

describe('Registry', () => {
  it("answers in Cloud Map's DiscoverInstances shape, the lane encoded in ECS_SERVICE_NAME", async () => {
    const response = await discover('local.local', 'orders');
    expect(response.status).toBe(200);
    const body = (await response.json()) as DiscoverInstancesOutput;
    expect(body.Instances).toHaveLength(3);
    expect(body.Instances[1]).toEqual({
      InstanceId: 'orders-gray-1',
      NamespaceName: 'local.local',
      ServiceName: 'orders',
      HealthStatus: 'HEALTHY',
      Attributes: {
        ECS_SERVICE_NAME: 'orders-local-gray',
        AWS_INSTANCE_IPV4: '127.0.0.1',
        AWS_INSTANCE_PORT: '4002',
      },
    });
    expect(body.Instances[2]!.HealthStatus).toBe('UNHEALTHY');
    // a hyphenated lane takes the hashed ECS service name, which core reads back
    expect(body.Instances[2]!.Attributes.ECS_SERVICE_NAME).toMatch(/^orders-local-feat-x-0[a-z2-7]{8}$/);
  });

  it('lets the lane-first pick choose the lane, and the baseline for a lane with no healthy instance', async () => {
    const { Instances } = (await (await discover('local.local', 'orders')).json()) as DiscoverInstancesOutput;
    const pick = (lane: string | undefined) =>
      pickLaneInstances(Instances, { service: 'orders', env: 'local', lane, baseline: 'base' });
    expect(pick('gray').instances.map((i) => i.InstanceId)).toEqual(['orders-gray-1']);
    expect(pick('feat-x')).toMatchObject({ lane: 'base', fellBack: true });
    expect(pick(undefined).instances.map((i) => i.InstanceId)).toEqual(['orders-base-1']);
  });

  it('answers an empty list for a declared service without instances', async () => {
    expect(await (await discover('local.local', 'web')).json()).toEqual({ Instances: [] });
  });

  it.each([
    ['other.local', 'orders', 404, 'NamespaceNotFound'],
    ['local.local', 'nope', 404, 'ServiceNotFound'],
    ['local.local', '', 400, 'InvalidInput'],
  ])('namespace %s service %s: HTTP %i %s', async (namespace, service, status, type) => {
    const response = await discover(namespace, service);
    expect(response.status).toBe(status);
    expect(((await response.json()) as { __type: string }).__type).toBe(type);
  });

  it('listens on 127.0.0.1 only', () => {
    const address = (registry as unknown as { server: { address(): AddressInfo } }).server.address();
    expect(address.address).toBe('127.0.0.1');
  });
});
