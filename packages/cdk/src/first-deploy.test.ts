/**
 * What the first real deploy of a lane needs from the templates (issue 10, the ECS / ELB / Cloud Map half):
 * the deploy order ECS accepts, reachability of tasks by task IP, Cloud Map registration with a port and a
 * health check, Service Connect names within their limits, blue/green rules that follow ECS's swaps, and
 * priority changes through SetRulePriorities.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildInfraApp, type TemplateKind } from './infra-repo.js';

let outdir: string;
const templates = {} as Record<TemplateKind, Template>;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'ecs-lanes-first-deploy-test-'));
  const built = buildInfraApp(outdir);
  built.app.synth();
  for (const [kind, stack] of Object.entries(built.stacks) as [TemplateKind, Stack][]) {
    templates[kind] = Template.fromStack(stack);
  }
}, 120_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('deploy order: ECS needs a rule that forwards to the target group before the service', () => {
  it('the service refers to the lane rule (so CloudFormation creates the rule first), without a DependsOn on a conditional resource', () => {
    const service = Object.values(templates.lane.findResources('AWS::ECS::Service'))[0]!;
    expect(service.DependsOn).toBeUndefined();
    expect(JSON.stringify(service.Properties.Tags)).toContain('{"Ref":"LaneRule"}');
    expect(JSON.stringify(service.Properties.Tags)).toContain('{"Ref":"BlueGreenProductionRule"}');
    const rule = templates.lane.findResources('AWS::ElasticLoadBalancingV2::ListenerRule').LaneRule!;
    expect(rule.DependsOn).toBeUndefined();
  });

  it('LiveTargetGroup is a parameter with default "default": a new lane gets no traffic until it is shifted', () => {
    templates.lane.hasParameter('LiveTargetGroup', {
      Type: 'String',
      Default: 'default',
      AllowedValues: ['default', 'lane', 'alternate'],
    });
  });
});

describe('blue/green rules follow the live target group', () => {
  it('both rules take their weights from LiveTargetGroup, so an update writes back what ECS set', () => {
    for (const id of ['BlueGreenProductionRule', 'BlueGreenTestRule']) {
      const rule = templates.lane.findResources('AWS::ElasticLoadBalancingV2::ListenerRule')[id]!;
      expect(rule.Properties.Actions[0].ForwardConfig.TargetGroups).toEqual([
        {
          TargetGroupArn: { Ref: 'LaneTargetGroup' },
          Weight: { 'Fn::If': ['AlternateTargetGroupLive', 0, 100] },
        },
        {
          TargetGroupArn: { Ref: 'AlternateTargetGroup' },
          Weight: { 'Fn::If': ['AlternateTargetGroupLive', 100, 0] },
        },
      ]);
    }
  });

  it('alarms watch the alternate target group too', () => {
    for (const [id, metric] of [
      ['Http5xxRateAlternateAlarm', 'HTTPCode_Target_5XX_Count'],
      ['UnhealthyHostsAlternateAlarm', 'UnHealthyHostCount'],
    ] as const) {
      const alarm = templates.lane.findResources('AWS::CloudWatch::Alarm')[id]!;
      expect(alarm.Condition).toBe('UseBlueGreen');
      const text = JSON.stringify(alarm.Properties);
      expect(text).toContain(metric);
      expect(text).toContain('{"Fn::GetAtt":["AlternateTargetGroup","TargetGroupFullName"]}');
    }
  });
});

describe('service-to-service calls reach task IPs', () => {
  it('task security groups admit the container port from the environment task security group', () => {
    templates.alb.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': ['ServiceSecurityGroup', 'GroupId'] },
      IpProtocol: 'tcp',
      FromPort: { Ref: 'ContainerPort' },
      ToPort: { Ref: 'ContainerPort' },
      SourceSecurityGroupId: {
        'Fn::Select': [
          0,
          { 'Fn::Split': [',', { 'Fn::ImportValue': { 'Fn::Sub': '${NetworkStackName}:SecurityGroups' } }] },
        ],
      },
    });
  });

  it('an adopted load balancer (InitAlb false) is admitted through its security group, which the template requires', () => {
    templates.alb.hasResource('AWS::EC2::SecurityGroupIngress', {
      Condition: 'AdoptLoadBalancer',
      Properties: Match.objectLike({
        GroupId: { 'Fn::GetAtt': ['ServiceSecurityGroup', 'GroupId'] },
        SourceSecurityGroupId: { Ref: 'ExistingLoadBalancerSecurityGroupId' },
        FromPort: { Ref: 'ContainerPort' },
      }),
    });
    const rule = templates.alb.toJSON().Rules.ExistingLoadBalancerRequired;
    expect(JSON.stringify(rule.Assertions)).toContain('ExistingLoadBalancerSecurityGroupId');
  });

  it('tasks register in Cloud Map with their container port (A and SRV records) and carry a container health check', () => {
    templates.sd.hasResourceProperties('AWS::ServiceDiscovery::Service', {
      DnsConfig: Match.objectLike({
        DnsRecords: [Match.objectLike({ Type: 'A' }), Match.objectLike({ Type: 'SRV' })],
      }),
      HealthCheckCustomConfig: Match.anyValue(),
    });
    templates.lane.hasResourceProperties('AWS::ECS::Service', {
      ServiceRegistries: [
        {
          RegistryArn: { 'Fn::ImportValue': { 'Fn::Sub': '${SdStackName}:CloudMapServiceArn' } },
          ContainerName: 'app',
          ContainerPort: { Ref: 'ContainerPort' },
        },
      ],
    });
    const td = Object.values(templates.lane.findResources('AWS::ECS::TaskDefinition'))[0]!;
    const check = td.Properties.ContainerDefinitions[0].HealthCheck;
    expect(check.Command[0]).toBe('CMD-SHELL');
    expect(JSON.stringify(check.Command[1])).toContain('${ContainerPort}${HealthPath}');
  });

  it('Service Connect names come from core (ServiceConnectDiscoveryName, ServiceConnectDnsName) within their limits', () => {
    templates.lane.hasParameter('ServiceConnectDiscoveryName', { MaxLength: 64 });
    templates.lane.hasParameter('ServiceConnectDnsName', { MaxLength: 63 });
    const service = Object.values(templates.lane.findResources('AWS::ECS::Service'))[0]!;
    const text = JSON.stringify(service.Properties.ServiceConnectConfiguration);
    expect(text).toContain('"DiscoveryName":{"Ref":"ServiceConnectDiscoveryName"}');
    expect(text).toContain('"DnsName":{"Ref":"ServiceConnectDnsName"}');
    expect(text).not.toContain('EcsServiceName');
  });
});

describe('priority changes', () => {
  it('the lane stack role may change rule priorities (SetRulePriorities)', () => {
    const role = templates.pipelineApp.findResources('AWS::IAM::Role').LaneStackRole!;
    expect(JSON.stringify(role.Properties.Policies)).toContain('elasticloadbalancing:SetRulePriorities');
  });
});
