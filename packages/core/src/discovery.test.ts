import { describe, expect, it } from 'vitest';
import { type DiscoveredInstance, instanceLane, pickLaneInstances } from './discovery.js';
import { laneNames } from './naming.js';

function instance(
  lane: string,
  health: DiscoveredInstance['HealthStatus'] = 'HEALTHY',
  id = lane,
): DiscoveredInstance {
  return {
    InstanceId: id,
    NamespaceName: 'dev.local',
    ServiceName: 'orders',
    HealthStatus: health,
    Attributes: {
      ECS_SERVICE_NAME: laneNames('orders', 'dev', lane).ecsService,
      AWS_INSTANCE_IPV4: '10.0.0.1',
    },
  };
}

const target = (lane: string | undefined) => ({ service: 'orders', env: 'dev', lane, baseline: 'base' });

describe('lane-aware discovery', () => {
  it('reads the lane of an instance from ECS_SERVICE_NAME, readable or hashed', () => {
    expect(instanceLane(instance('gray'), 'orders', 'dev')).toBe('gray');
    expect(instanceLane(instance('feat-login'), 'orders', 'dev')).toBe('feat-login');
    expect(instanceLane(instance('gray'), 'orders', 'prod')).toBeUndefined();
    expect(instanceLane({ ...instance('gray'), Attributes: {} }, 'orders', 'dev')).toBeUndefined();
  });

  it("picks the requested lane's healthy instances", () => {
    const picked = pickLaneInstances(
      [instance('base'), instance('gray', 'HEALTHY', 'g1'), instance('gray', 'UNHEALTHY', 'g2')],
      target('gray'),
    );
    expect(picked).toMatchObject({ lane: 'gray', fellBack: false, reason: 'lane' });
    expect(picked.instances.map((i) => i.InstanceId)).toEqual(['g1']);
  });

  it('falls back to the baseline when the lane has no instance', () => {
    const picked = pickLaneInstances([instance('base'), instance('blue')], target('gray'));
    expect(picked).toMatchObject({ lane: 'base', fellBack: true, reason: 'not-deployed' });
    expect(picked.instances.map((i) => i.InstanceId)).toEqual(['base']);
  });

  it('falls back to the baseline when the lane has only unhealthy instances', () => {
    const picked = pickLaneInstances([instance('base'), instance('gray', 'UNHEALTHY')], target('gray'));
    expect(picked).toMatchObject({ lane: 'base', fellBack: true, reason: 'unhealthy' });
  });

  it('counts UNKNOWN health as healthy (a service without health checks)', () => {
    expect(pickLaneInstances([instance('gray', 'UNKNOWN')], target('gray')).instances).toHaveLength(1);
  });

  it('uses the baseline when the request has no lane, and returns nothing when the baseline has no instance', () => {
    expect(pickLaneInstances([instance('base')], target(undefined))).toMatchObject({
      lane: 'base',
      fellBack: false,
      reason: 'no-lane',
    });
    expect(pickLaneInstances([instance('gray')], target(undefined)).instances).toEqual([]);
  });
});
