import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { laneMatchRegex } from './alb-match.js';
import { type AwsEnvironmentConfig, loadConfigOrThrow } from './config.js';
import { LANE_STACK_PARAMETER_NAMES, LANE_TAGS, laneStackParameters, laneStackTags } from './lane-stack.js';

const config = loadConfigOrThrow(
  readFileSync(new URL('../../../examples/lanes.yaml', import.meta.url), 'utf8'),
);
const dev = config.environments.find((e) => e.name === 'dev') as AwsEnvironmentConfig;
const orders = config.services.find((s) => s.name === 'orders')!;
const image = '111122223333.dkr.ecr.us-east-1.amazonaws.com/orders-dev:3f2a1bc';

describe('lane stack parameters', () => {
  it('gives a value for every parameter of the contract, and nothing else', () => {
    const params = laneStackParameters({
      config,
      env: dev,
      service: orders,
      lane: 'gray',
      imageUri: image,
      rulePriority: 1234,
    });
    expect(Object.keys(params).sort()).toEqual([...LANE_STACK_PARAMETER_NAMES].sort());
    expect(Object.values(params).every((v) => typeof v === 'string')).toBe(true);
  });

  it('computes names with core naming and the match regex with core alb-match', () => {
    const params = laneStackParameters({
      config,
      env: dev,
      service: orders,
      lane: 'gray',
      imageUri: image,
      rulePriority: 1234,
    });
    expect(params).toMatchObject({
      ServiceName: 'orders',
      EnvName: 'dev',
      LaneName: 'gray',
      IsBaseline: 'false',
      ClusterName: 'shop-dev',
      EcsServiceName: 'orders-dev-gray',
      TargetGroupName: 'orders-dev-gray-tg',
      TaskFamily: 'orders-gray-dev-task',
      RulePriority: '1234',
      LaneMatchRegex: laneMatchRegex('gray'),
      ImageUri: image,
      BlueGreen: 'true',
      BakeTimeMinutes: '10',
      AlbStackName: 'boot-alb-orders-dev',
      NetworkStackName: 'infra-network-dev',
      AlarmTopicArn: '',
    });
  });

  it('marks the baseline lane and gives it no rule priority', () => {
    const params = laneStackParameters({
      config,
      env: dev,
      service: orders,
      lane: 'base',
      imageUri: image,
      rulePriority: 99,
    });
    expect(params.IsBaseline).toBe('true');
    expect(params.RulePriority).toBe('0');
  });

  it('tags lane stacks so lanes can be found from stacks', () => {
    expect(
      laneStackTags(
        config,
        { service: 'orders', env: 'dev', lane: 'gray' },
        { branch: 'feat/x', imageTag: '3f2a1bc' },
      ),
    ).toEqual({
      [LANE_TAGS.project]: 'shop',
      [LANE_TAGS.service]: 'orders',
      [LANE_TAGS.env]: 'dev',
      [LANE_TAGS.lane]: 'gray',
      [LANE_TAGS.branch]: 'feat/x',
      [LANE_TAGS.imageTag]: '3f2a1bc',
    });
  });
});
