/**
 * The IAM of the committed templates, evaluated by the fake as AWS would: the app pipeline's roles
 * (templates/pipelines/pipeline-app.yaml), the lane stack's task role (templates/ci/service-stack.yaml) and the
 * bootstrap and infra pipelines' CloudFormation roles (templates/pipelines/pipeline-boot.yaml,
 * pipeline-infra.yaml), each resolved for one service and environment. Calls through the pipeline are made as these roles (see fixtures.ts).
 */
import {
  DeleteStackCommand,
  DescribeStacksCommand,
  UpdateTerminationProtectionCommand,
} from '@aws-sdk/client-cloudformation';
import { bootPipelineParameters, LANE_STACK_PARAMETER_NAMES, laneNames, serviceNames } from '@ecs-lanes/core';
import { describe, expect, it } from 'vitest';
import { createAwsTarget } from '../target.js';
import { ACTIONS_WITHOUT_RESOURCE_LEVEL, CFN_HANDLER_PERMISSIONS } from './cfn-handler-permissions.js';
import { evaluatePolicies, type IamRequest } from './iam.js';
import { templateRoles } from './iam-roles.js';
import { committedTemplate, createFakeWorld, type FakeWorld, FIXTURE_CONFIG } from './index.js';
import { parseTemplate } from './template.js';

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const stackArn = (name: string) => `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/0f1e2d3c`;

const BLUE_GREEN_CONFIG = FIXTURE_CONFIG.replace(
  '  - name: web\n    appRepo: { repository: acme/shop-web }\n',
  '  - name: web\n    appRepo: { repository: acme/shop-web }\n    blueGreen: { enabled: true }\n',
);

async function bootstrapped(config?: string): Promise<FakeWorld> {
  const w = createFakeWorld({ priorityRange: { min: 1, max: 30 }, ...(config ? { config } : {}) });
  await w.bootstrap('orders', 'web');
  return w;
}

function policiesOf(w: FakeWorld, roleArn: string) {
  const role = w.fake.iam.role(roleArn);
  if (!role) throw new Error(`unknown role ${roleArn}`);
  return role.policies;
}

describe('the app pipeline roles, as pipeline-app.yaml defines them', () => {
  it('every role is explicitly denied the shared stacks (infra-*, boot-*), whatever else it allows', async () => {
    const w = await bootstrapped();
    const roles = w.pipelineRoles('orders');
    const shared = ['infra-network-dev', 'infra-namespace-dev', 'boot-alb-orders-dev', 'boot-log-web-dev'];
    for (const roleArn of Object.values(roles)) {
      for (const stack of shared) {
        for (const action of [
          'DeleteStack',
          'UpdateStack',
          'CreateChangeSet',
          'ExecuteChangeSet',
          'SetStackPolicy',
        ]) {
          expect(
            evaluatePolicies(policiesOf(w, roleArn), {
              action: `cloudformation:${action}`,
              resource: stackArn(stack),
            }),
          ).toEqual({ decision: 'ExplicitDeny', statement: 'DenySharedStacks' });
        }
      }
    }
  });

  it('the Deploy job cannot delete or unprotect a shared stack: AccessDenied, and the stack is untouched', async () => {
    const w = await bootstrapped();
    const ctx = w.jobContext('orders', 'deploy');
    const albStack = serviceNames('orders', 'dev').albStack;
    for (const command of [
      new DeleteStackCommand({ StackName: albStack }),
      new UpdateTerminationProtectionCommand({ StackName: albStack, EnableTerminationProtection: false }),
    ]) {
      const error = await ctx.clients.cloudformation
        .send(command as DeleteStackCommand)
        .catch((e: Error) => e);
      expect((error as Error).name).toBe('AccessDenied');
      expect((error as Error).message).toMatch(
        /assumed-role\/pipeline-orders-dev-DeployRole-.*cloudformation:(DeleteStack|UpdateTerminationProtection) on resource: arn:aws:cloudformation:us-east-1:111122223333:stack\/boot-alb-orders-dev\/.* explicit deny/,
      );
    }
    const out = await w.clients.cloudformation.send(new DescribeStacksCommand({ StackName: albStack }));
    expect(out.Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');
    expect(out.Stacks?.[0]?.EnableTerminationProtection).toBe(true);
  });

  it("may change only its own service's lane stacks: service a of env b never reaches service a-b of env c", async () => {
    const w = await bootstrapped();
    const deploy = policiesOf(w, w.pipelineRoles('orders').deploy);
    const request = (name: string): IamRequest => ({
      action: 'cloudformation:CreateChangeSet',
      resource: stackArn(name),
    });
    expect(evaluatePolicies(deploy, request(laneNames('orders', 'dev', 'gray').stack)).decision).toBe(
      'Allow',
    );
    expect(evaluatePolicies(deploy, request(laneNames('orders', 'dev', 'feat-login').stack)).decision).toBe(
      'Allow',
    );
    // Lane stacks of service "orders-dev" in an environment "x" (another project in the same account; one
    // config cannot hold both, see config.ts), and of service "orders-devx".
    for (const [service, env] of [
      ['orders-dev', 'x'],
      ['orders-dev', 'dev'],
      ['orders-devx', 'dev'],
      ['web', 'dev'],
    ] as const) {
      for (const lane of ['gray', 'feat-login']) {
        const other = laneNames(service, env, lane).stack;
        expect(evaluatePolicies(deploy, request(other)).decision, other).toBe('ImplicitDeny');
      }
    }
  });

  it('the lane stack role writes ELB, Lambda and log resources only by their ARNs and cannot delete the shared log group', async () => {
    const w = await bootstrapped();
    const role = policiesOf(w, w.pipelineRoles('orders').laneStack);
    const writes = [
      'elasticloadbalancing:CreateTargetGroup',
      'elasticloadbalancing:DeleteTargetGroup',
      'elasticloadbalancing:ModifyTargetGroup',
      'elasticloadbalancing:CreateRule',
      'elasticloadbalancing:DeleteRule',
      'elasticloadbalancing:ModifyRule',
      'elasticloadbalancing:AddTags',
      'lambda:CreateFunction',
      'lambda:DeleteFunction',
      'lambda:UpdateFunctionCode',
      'logs:CreateLogGroup',
      'logs:DeleteLogGroup',
      'logs:PutRetentionPolicy',
      'logs:TagResource',
    ];
    for (const action of writes) {
      expect(evaluatePolicies(role, { action, resource: '*' }).decision, `${action} on *`).not.toBe('Allow');
    }
    const shared = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${serviceNames('orders', 'dev').logGroup}:*`;
    expect(evaluatePolicies(role, { action: 'logs:DeleteLogGroup', resource: shared }).decision).not.toBe(
      'Allow',
    );
    // Another service's target group, by name.
    const webTg = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${laneNames('web', 'dev', 'gray').targetGroup}/0123456789abcdef`;
    expect(
      evaluatePolicies(role, { action: 'elasticloadbalancing:DeleteTargetGroup', resource: webTg }).decision,
    ).not.toBe('Allow');
  });
});

describe('lanes through the pipeline, every call and every resource change evaluated by IAM', () => {
  it('a blue/green lane is created through the pipeline: its tagged hook log group needs logs:TagResource', async () => {
    const w = await bootstrapped(BLUE_GREEN_CONFIG);
    const target = createAwsTarget(w.options);
    const result = await target.deploy({ service: 'web', env: 'dev', lane: 'gray', branch: 'feat-gray' });
    await w.fake.settle();
    expect(w.fake.execution(result.executionId!)?.status).toBe('Succeeded');
    expect(w.fake.stack('app-web--dev-gray')?.status).toBe('CREATE_COMPLETE');
    // Redeploy (an update) and removal run the update, read and delete handlers under the same role.
    w.commit('feat-gray', 'bbbbbbb');
    await target.deploy({ service: 'web', env: 'dev', lane: 'gray', branch: 'feat-gray' });
    await target.remove({ service: 'web', env: 'dev', lane: 'gray' });
    await w.fake.settle();
    expect(w.fake.stack('app-web--dev-gray')).toBeUndefined();
    const denied = w.fake
      .stackEvents('app-web--dev-gray')
      .filter((e) => /not authorized/.test(e.ResourceStatusReason ?? ''));
    expect(denied).toEqual([]);
  });

  it('a rolling lane is created, updated and deleted under the lane stack role without a denied call', async () => {
    const w = await bootstrapped();
    const target = createAwsTarget(w.options);
    await target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'feat-gray' });
    w.commit('feat-gray', 'ccccccc');
    await target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'feat-gray' });
    await target.remove({ service: 'orders', env: 'dev', lane: 'gray' });
    await w.fake.settle();
    expect(w.fake.stack('app-orders--dev-gray')).toBeUndefined();
    expect(
      w.fake.stackEvents('app-orders--dev-gray').filter((e) => e.ResourceStatus.endsWith('_FAILED')),
    ).toEqual([]);
  });
});

describe('the task role, as service-stack.yaml defines it', () => {
  it("lets the SDK's Cloud Map resolver discover instances in the environment's namespace only", () => {
    const [task] = templateRoles(committedTemplate('ci/service-stack.yaml'), {
      stackName: 'app-orders--dev-gray',
      account: ACCOUNT,
      region: REGION,
      parameters: Object.fromEntries(LANE_STACK_PARAMETER_NAMES.map((k) => [k, sampleLaneParameter(k)])),
      importValue: (name) => (name.endsWith(':NamespaceName') ? 'dev.local' : `imported-${name}`),
    }).filter((r) => r.logicalId === 'TaskRole');
    expect(task).toBeDefined();
    // DiscoverInstances takes no resource-level permissions; its condition keys name the namespace and service.
    const discover = (namespace: string): IamRequest => ({
      action: 'servicediscovery:DiscoverInstances',
      resource: '*',
      context: { 'servicediscovery:NamespaceName': namespace, 'servicediscovery:ServiceName': 'inventory' },
    });
    expect(evaluatePolicies(task!.policies, discover('dev.local')).decision).toBe('Allow');
    expect(evaluatePolicies(task!.policies, discover('prod.local')).decision).toBe('ImplicitDeny');
  });
});

describe('the bootstrap pipeline CloudFormation role, as pipeline-boot.yaml defines it', () => {
  it('holds every permission the handlers need to create, read, update and (on a failed first create) delete what it deploys', async () => {
    const w = await bootstrapped();
    const svc = w.config.services.find((s) => s.name === 'orders')!;
    const roles = templateRoles(committedTemplate('pipelines/pipeline-boot.yaml'), {
      stackName: `pipeline-${serviceNames('orders', 'dev').bootstrapPipeline}`,
      account: ACCOUNT,
      region: REGION,
      parameters: bootPipelineParameters(w.config, w.env, svc),
      importValue: (name) => w.fake.exportOf(name),
    });
    const deployRole = roles.find((r) => r.logicalId === 'DeployRole')!;
    const missing: string[] = [];
    for (const file of [
      'service/sd-stack.yaml',
      'service/log-stack.yaml',
      'service/ecr-stack.yaml',
      'service/alb-stack.yaml',
    ]) {
      const resources = parseTemplate(committedTemplate(file)).Resources ?? {};
      for (const r of Object.values(resources)) {
        const row = CFN_HANDLER_PERMISSIONS[r.Type];
        expect(row, `${file}: ${r.Type} has a row in the handler table`).toBeDefined();
        // RetainExceptOnCreate (or no policy): a failed first create deletes the resource.
        const handlers = ['create', 'read', 'update', 'delete'] as const;
        for (const h of handlers) {
          for (const action of row![h]) {
            const resource = ACTIONS_WITHOUT_RESOURCE_LEVEL.has(action) ? '*' : (SHARED_ARNS[r.Type] ?? '*');
            if (evaluatePolicies(deployRole.policies, { action, resource }).decision !== 'Allow')
              missing.push(`${file} ${r.Type} ${h}: ${action} on ${resource}`);
          }
        }
      }
    }
    expect([...new Set(missing)]).toEqual([]);
  });

  it('retains named shared resources on delete, but not after a failed first create (RetainExceptOnCreate)', () => {
    for (const file of [
      'service/sd-stack.yaml',
      'service/log-stack.yaml',
      'service/ecr-stack.yaml',
      'service/alb-stack.yaml',
    ]) {
      const resources = parseTemplate(committedTemplate(file)).Resources ?? {};
      for (const [id, r] of Object.entries(resources) as [string, { DeletionPolicy?: string }][]) {
        if (r.DeletionPolicy === undefined) continue;
        expect(r.DeletionPolicy, `${file} ${id}`).toBe('RetainExceptOnCreate');
      }
    }
  });
});

describe('the infra pipeline CloudFormation role, as pipeline-infra.yaml defines it', () => {
  it('holds every permission the handlers need to create, read, update and delete the typed resources of the environment stacks', () => {
    const parameters = JSON.parse(committedTemplate('params/dev/pipeline-infra.json')).Parameters;
    const roles = templateRoles(committedTemplate('pipelines/pipeline-infra.yaml'), {
      stackName: 'pipeline-infra-dev',
      account: ACCOUNT,
      region: REGION,
      parameters,
      importValue: () => {
        throw new Error('the infra pipeline imports nothing');
      },
    });
    const deployRole = roles.find((r) => r.logicalId === 'DeployRole')!;
    // ARNs of the environment stacks' resources as AWS forms them (generated names under the stack name).
    const arns: Record<string, string> = {
      'AWS::IAM::Role': `arn:aws:iam::${ACCOUNT}:role/infra-namespace-dev-GcJobRole-FAKE0123`,
      'AWS::Logs::LogGroup': `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:infra-namespace-dev-GcLogGroup-FAKE0123:*`,
      'AWS::EC2::SecurityGroup': `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/sg-0123456789abcdef0`,
    };
    const missing: string[] = [];
    for (const file of ['env/network-stack.yaml', 'env/namespace-stack.yaml']) {
      for (const r of Object.values(parseTemplate(committedTemplate(file)).Resources ?? {})) {
        const row = CFN_HANDLER_PERMISSIONS[r.Type];
        if (!row) continue; // types without a row (cluster, namespace, project, schedule) are not evaluated
        for (const h of ['create', 'read', 'update', 'delete'] as const) {
          for (const action of row[h]) {
            if (action === 'iam:PassRole') continue; // no role of these types passes a role
            const resource = ACTIONS_WITHOUT_RESOURCE_LEVEL.has(action) ? '*' : arns[r.Type]!;
            if (evaluatePolicies(deployRole.policies, { action, resource }).decision !== 'Allow')
              missing.push(`${file} ${r.Type} ${h}: ${action} on ${resource}`);
          }
        }
      }
    }
    expect([...new Set(missing)]).toEqual([]);
  });
});

/** ARNs of the resources of orders' shared stacks in dev, as AWS forms them. */
const SHARED_ARNS: Record<string, string> = {
  'AWS::ServiceDiscovery::Service': `arn:aws:servicediscovery:${REGION}:${ACCOUNT}:service/srv-0123456789abcdef`,
  'AWS::Logs::LogGroup': `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/ecs/dev/orders:*`,
  'AWS::ECR::Repository': `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/orders-dev`,
  'AWS::EC2::SecurityGroup': `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/sg-0123456789abcdef0`,
  'AWS::EC2::SecurityGroupIngress': `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/sg-0123456789abcdef0`,
  'AWS::EC2::SecurityGroupEgress': `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/sg-0123456789abcdef0`,
  'AWS::ElasticLoadBalancingV2::LoadBalancer': `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/orders-dev-alb/50dc6c495c0c9188`,
  'AWS::ElasticLoadBalancingV2::TargetGroup': `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/orders-dev-default-tg/73e2d6bc24d8a067`,
  'AWS::ElasticLoadBalancingV2::Listener': `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/orders-dev-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`,
};

function sampleLaneParameter(name: string): string {
  const values: Record<string, string> = {
    ServiceName: 'orders',
    EnvName: 'dev',
    LaneName: 'gray',
    IsBaseline: 'false',
    BlueGreen: 'false',
    ServiceConnect: 'false',
    RulePriority: '7',
    TestRulePriority: '0',
    ImageUri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/orders-dev:abc1234`,
  };
  return values[name] ?? `sample-${name}`;
}
