/**
 * The scheduled gc job of the environment layer (namespace stack): EventBridge Scheduler starts a CodeBuild
 * project running `lanes gc --env {env}`, whose role may delete only this environment's lane stacks.
 * Synthesized with the built-in CloudFormation validation in strict mode and cdk-nag (synthesis throws on any
 * unacknowledged finding).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildInfraApp } from './infra-repo.js';

let outdir: string;
let namespace: Template;
let pipelineInfra: Template;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'ecs-lanes-gc-job-test-'));
  const built = buildInfraApp(outdir);
  built.app.synth();
  namespace = Template.fromStack(built.stacks.namespace);
  pipelineInfra = Template.fromStack(built.stacks.pipelineInfra);
}, 120_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

/** The inline statements of the role whose logical id starts with `prefix`. */
function roleStatements(prefix: string): Statement[] {
  const roles = namespace.findResources('AWS::IAM::Role');
  const id = Object.keys(roles).find((k) => k.startsWith(prefix));
  expect(id, `a role ${prefix}*`).toBeDefined();
  return (roles[id!]!.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
}

const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('the scheduled gc job', () => {
  it('runs lanes gc for its environment in a CodeBuild project checked out from the Infra repo', () => {
    namespace.hasResourceProperties('AWS::CodeBuild::Project', {
      Name: { 'Fn::Sub': 'lanes-gc-${EnvName}' },
      Source: Match.objectLike({
        Type: 'GITHUB',
        Location: { 'Fn::Sub': 'https://github.com/${InfraRepository}.git' },
        Auth: { Type: 'CODECONNECTIONS', Resource: { Ref: 'ConnectionArn' } },
        BuildSpec: Match.stringLikeRegexp('npx lanes gc --env "\\$ENV_NAME"'),
      }),
      SourceVersion: { Ref: 'InfraBranch' },
      Environment: Match.objectLike({
        PrivilegedMode: false,
        EnvironmentVariables: [{ Name: 'ENV_NAME', Type: 'PLAINTEXT', Value: { Ref: 'EnvName' } }],
      }),
    });
  });

  it('is started by an EventBridge Scheduler schedule through the CodeBuild StartBuild universal target', () => {
    namespace.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: { Ref: 'GcSchedule' },
      State: 'ENABLED',
      Target: Match.objectLike({
        Arn: { 'Fn::Sub': 'arn:${AWS::Partition}:scheduler:::aws-sdk:codebuild:startBuild' },
        Input: Match.anyValue(),
      }),
    });
    expect(namespace.toJSON().Parameters.GcSchedule.Default).toBe('rate(1 hour)');
  });

  it('lets the scheduler only start that one project', () => {
    const s = roleStatements('GcSchedulerRole');
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ Effect: 'Allow', Action: 'codebuild:StartBuild' });
    expect(s[0]!.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^GcProject/), 'Arn'] });
  });

  it('lets the job delete only lane stacks app-*-{env}-* tagged with its project and environment', () => {
    const s = roleStatements('GcRole');
    const deleting = s.filter(
      (x) => x.Effect === 'Allow' && actions(x).includes('cloudformation:DeleteStack'),
    );
    expect(deleting).toHaveLength(1);
    expect(deleting[0]!.Resource).toEqual({
      'Fn::Sub':
        'arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/app-*-${EnvName}-*/*',
    });
    expect(deleting[0]!.Condition).toEqual({
      StringEquals: {
        'aws:ResourceTag/ecs-lanes:env': { Ref: 'EnvName' },
        'aws:ResourceTag/ecs-lanes:project': { Ref: 'ProjectName' },
      },
    });
  });

  it('grants nothing else that changes anything: no other write, no PassRole, no wildcard actions', () => {
    const s = roleStatements('GcRole').filter((x) => x.Effect === 'Allow');
    const all = s.flatMap(actions);
    expect(all.filter((a) => a.includes('*'))).toEqual([]);
    const writes = all.filter((a) => !/:(Describe|List|Get|BatchGet)/.test(a));
    expect(writes.sort()).toEqual([
      'cloudformation:DeleteStack',
      'codeconnections:UseConnection',
      'codestar-connections:UseConnection',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    // Everything granted on "*" only reads.
    for (const x of s.filter((y) => y.Resource === '*')) {
      for (const a of actions(x)) expect(a).toMatch(/:(Describe|List)/);
    }
  });

  it('is denied the shared stacks of the environment and service layers', () => {
    const deny = roleStatements('GcRole').find((x) => x.Effect === 'Deny');
    expect(deny).toMatchObject({ Action: 'cloudformation:*' });
    expect(JSON.stringify(deny!.Resource)).toMatch(/stack\/infra-\*\/\*.*stack\/boot-\*\/\*/);
  });

  it('lets the infra pipeline deploy it: roles named after the namespace stack, passed only to CodeBuild and Scheduler', () => {
    const deploy = Object.values(pipelineInfra.findResources('AWS::IAM::Role')).find((r) =>
      JSON.stringify(r).includes('cloudformation.amazonaws.com'),
    )!;
    const text = JSON.stringify(deploy);
    expect(text).toContain('codebuild:CreateProject');
    expect(text).toContain('scheduler:CreateSchedule');
    expect(text).toMatch(/"iam:PassedToService":\["codebuild.amazonaws.com","scheduler.amazonaws.com"\]/);
  });
});
