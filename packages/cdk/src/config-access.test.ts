/**
 * Least privilege for a lane's configuration (issue 18), proved on the synthesized templates: the task execution
 * role of a lane may read Parameter Store only below its own service's path (ssm:GetParameters, what ECS calls
 * for container `Secrets`); the deploy job may read names, versions and plain values there; nothing else in the
 * lane stack or the app pipeline touches SSM, and nothing may decrypt with KMS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildInfraApp } from './infra-repo.js';

let outdir: string;
let lane: Template;
let pipeline: Template;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'ecs-lanes-config-access-'));
  const built = buildInfraApp(outdir);
  built.app.synth();
  lane = Template.fromStack(built.stacks.lane as Stack);
  pipeline = Template.fromStack(built.stacks.pipelineApp as Stack);
}, 120_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every statement of every inline policy of the role `logicalId`. */
function statementsOf(template: Template, logicalId: string): Statement[] {
  const role = template.toJSON().Resources[logicalId];
  return (role.Properties.Policies ?? []).flatMap(
    (p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement,
  );
}

const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** Roles of a template, by logical id. */
function roles(template: Template): string[] {
  return Object.keys(template.findResources('AWS::IAM::Role'));
}

const OWN_PATH = {
  'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${ConfigPath}/*',
};

describe('the lane stack: configuration access', () => {
  it("lets the execution role call only ssm:GetParameters, only below the service's own path", () => {
    const ssm = statementsOf(lane, 'ExecutionRole').filter((s) =>
      actions(s).some((a) => a.startsWith('ssm:')),
    );
    expect(ssm).toEqual([{ Effect: 'Allow', Action: 'ssm:GetParameters', Resource: OWN_PATH }]);
  });

  it('takes the path from the ConfigPath parameter, constrained to /{project}/{env}/{service}', () => {
    const param = lane.toJSON().Parameters.ConfigPath;
    expect(param.AllowedPattern).toBe('^(/[A-Za-z0-9_.-]+){3}$');
    expect(new RegExp(param.AllowedPattern).test('/shop/dev/orders')).toBe(true);
    // A value that would widen the grant (another service's path, or all of the environment) is refused.
    for (const wider of ['/shop/dev', '/shop/dev/*', '/shop/dev/orders/lanes', '/']) {
      expect(new RegExp(param.AllowedPattern).test(wider)).toBe(false);
    }
  });

  it('gives no other role of the lane stack any SSM or KMS permission', () => {
    for (const id of roles(lane).filter((r) => r !== 'ExecutionRole')) {
      const all = statementsOf(lane, id).flatMap(actions);
      expect(
        all.filter((a) => /^(ssm|kms):/.test(a) || a === '*'),
        id,
      ).toEqual([]);
    }
    expect(
      statementsOf(lane, 'ExecutionRole')
        .flatMap(actions)
        .filter((a) => a.startsWith('kms:')),
    ).toEqual([]);
  });
});

describe('the app pipeline: configuration access', () => {
  it("lets only the deploy job read the service's path (GetParametersByPath, GetParameters), never write", () => {
    const byRole = Object.fromEntries(
      roles(pipeline).map((id) => [
        id,
        statementsOf(pipeline, id).filter((s) => actions(s).some((a) => /^(ssm|kms):/.test(a))),
      ]),
    );
    expect(byRole.DeployRole).toEqual([
      {
        Effect: 'Allow',
        Action: ['ssm:GetParametersByPath', 'ssm:GetParameters'],
        Resource: [
          { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${ConfigPath}' },
          OWN_PATH,
        ],
      },
    ]);
    for (const [id, statements] of Object.entries(byRole))
      if (id !== 'DeployRole') expect(statements, id).toEqual([]);
  });
});
