import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkEnvironmentName, checkServiceName, parseConfig } from './config.js';
import { checkLaneName } from './lane.js';
import { environmentNames, serviceNames } from './naming.js';
import {
  ALB_STACK_PARAMETER_NAMES,
  APP_PIPELINE_PARAMETER_NAMES,
  albStackParameters,
  appPipelineParameters,
  awsEnvironments,
  BOOT_PIPELINE_PARAMETER_NAMES,
  bootPipelineParameters,
  ECR_STACK_PARAMETER_NAMES,
  ecrStackParameters,
  INFRA_PIPELINE_PARAMETER_NAMES,
  infraPipelineParameters,
  LOG_STACK_PARAMETER_NAMES,
  logStackParameters,
  NAME_PARAMETER_RULES,
  NAMESPACE_STACK_PARAMETER_NAMES,
  NETWORK_STACK_PARAMETER_NAMES,
  namespaceStackParameters,
  networkStackParameters,
  SD_STACK_PARAMETER_NAMES,
  sdStackParameters,
} from './stack-parameters.js';

const text = readFileSync(join(resolve(import.meta.dirname, '../../..'), 'examples/lanes.yaml'), 'utf8');
const parsed = parseConfig(text);
if (!parsed.ok) throw new Error('examples/lanes.yaml must be valid');
const config = parsed.config;
const [dev, prod] = awsEnvironments(config);
const orders = config.services.find((s) => s.name === 'orders')!;

describe('stack parameter contracts', () => {
  it('keeps only the AWS environments', () => {
    expect(awsEnvironments(config).map((e) => e.name)).toEqual(['dev', 'prod']);
  });

  it.each([
    ['network', NETWORK_STACK_PARAMETER_NAMES, () => networkStackParameters(dev!)],
    ['namespace', NAMESPACE_STACK_PARAMETER_NAMES, () => namespaceStackParameters(config, dev!)],
    ['sd', SD_STACK_PARAMETER_NAMES, () => sdStackParameters(dev!, orders)],
    ['log', LOG_STACK_PARAMETER_NAMES, () => logStackParameters(dev!, orders)],
    ['alb', ALB_STACK_PARAMETER_NAMES, () => albStackParameters(dev!, orders)],
    ['ecr', ECR_STACK_PARAMETER_NAMES, () => ecrStackParameters(dev!, orders)],
    ['pipeline-infra', INFRA_PIPELINE_PARAMETER_NAMES, () => infraPipelineParameters(config, dev!)],
    ['pipeline-boot', BOOT_PIPELINE_PARAMETER_NAMES, () => bootPipelineParameters(config, dev!, orders)],
    ['pipeline-app', APP_PIPELINE_PARAMETER_NAMES, () => appPipelineParameters(config, dev!, orders)],
  ] as const)('%s: computes exactly its declared parameters', (_kind, names, compute) => {
    expect(Object.keys(compute())).toEqual([...names]);
  });

  it('takes every name from naming.ts', () => {
    const s = serviceNames('orders', 'dev');
    const e = environmentNames('dev');
    expect(albStackParameters(dev!, orders)).toMatchObject({
      LoadBalancerName: s.alb,
      DefaultTargetGroupName: s.defaultTargetGroup,
      NetworkStackName: e.networkStack,
      InitAlb: 'true',
    });
    expect(logStackParameters(dev!, orders).LogGroupName).toBe('/ecs/dev/orders');
    expect(ecrStackParameters(dev!, orders).RepositoryName).toBe(s.ecrRepository);
    expect(namespaceStackParameters(config, dev!)).toMatchObject({
      NamespaceName: 'dev.local',
      ClusterName: 'shop-dev',
      InitCloudMap: 'true',
      ExistingNamespaceId: '',
    });
    expect(namespaceStackParameters(config, prod!).ClusterName).toBe('shop-prod');
    expect(appPipelineParameters(config, dev!, orders)).toMatchObject({
      PipelineName: 'orders-dev',
      BuildProjectName: s.buildProject,
      BaselineLane: 'base',
      AppConnectionArn: config.infraRepo.connectionArn,
      EcrStackName: s.ecrStack,
    });
    expect(networkStackParameters(prod!).PrivateSubnets.split(',')).toHaveLength(3);
  });

  it('passes an adopted load balancer through the Existing* parameters', () => {
    const existing = {
      loadBalancerArn: 'arn:lb',
      loadBalancerDnsName: 'x.elb.amazonaws.com',
      loadBalancerFullName: 'app/x/1',
      listenerArn: 'arn:listener',
      defaultTargetGroupArn: 'arn:tg',
      defaultTargetGroupFullName: 'targetgroup/x/1',
      securityGroupId: 'sg-0abc1234',
    };
    expect(albStackParameters({ ...dev!, initAlb: false }, orders, existing)).toMatchObject({
      InitAlb: 'false',
      ExistingListenerArn: 'arn:listener',
      ExistingDefaultTargetGroupFullName: 'targetgroup/x/1',
    });
  });

  it('reads the adopted load balancer and namespace from lanes.yaml, deriving the CloudWatch dimensions', () => {
    const adopting = {
      ...dev!,
      initAlb: false,
      initCloudMap: false,
      existingNamespaceId: 'ns-abcdef0123456789',
      existingAlbs: {
        orders: {
          loadBalancerArn:
            'arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/shared-alb/0123456789abcdef',
          dnsName: 'shared-alb-1.us-east-1.elb.amazonaws.com',
          listenerArn:
            'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/shared-alb/0123456789abcdef/fedcba9876543210',
          defaultTargetGroupArn:
            'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/orders-base/00112233aabbccdd',
          securityGroupId: 'sg-0123456789abcdef0',
        },
      },
    };
    expect(albStackParameters(adopting, orders)).toMatchObject({
      InitAlb: 'false',
      ExistingLoadBalancerFullName: 'app/shared-alb/0123456789abcdef',
      ExistingDefaultTargetGroupFullName: 'targetgroup/orders-base/00112233aabbccdd',
      ExistingLoadBalancerDnsName: 'shared-alb-1.us-east-1.elb.amazonaws.com',
      // The tasks admit the adopted load balancer's security group (nothing else would reach them).
      ExistingLoadBalancerSecurityGroupId: 'sg-0123456789abcdef0',
    });
    expect(namespaceStackParameters(config, adopting).ExistingNamespaceId).toBe('ns-abcdef0123456789');
    expect(albStackParameters(dev!, orders).ExistingListenerArn).toBe('');
  });

  it.each([
    ['service', 'orders', true],
    ['service', 'a', true],
    ['service', 'orders-', false],
    ['service', 'a--b', false],
    ['env', 'dev', true],
    ['env', 'dev-1', false],
    ['lane', 'feat-login', true],
    ['lane', 'gray-', false],
    ['lane', 'Gray', false],
  ] as const)('the %s parameter pattern agrees with the config grammar on "%s"', (kind, name, valid) => {
    const rule = NAME_PARAMETER_RULES[kind];
    const ok = new RegExp(rule.pattern).test(name) && name.length <= rule.maxLength;
    expect(ok).toBe(valid);
    const check =
      kind === 'service'
        ? checkServiceName(name) === undefined
        : kind === 'env'
          ? checkEnvironmentName(name) === undefined
          : checkLaneName(name).ok;
    expect(check).toBe(valid);
  });
});
