/**
 * Fixtures for tests against the fake: the real lane stack template (`templates/ci/service-stack.yaml`), small
 * templates for the shared stacks (named by core's naming), a
 * {@link TemplateSource} over them, and a "world" wiring a virtual clock, the fake, its clients and a pipeline
 * runner that plays CodeBuild running the shared buildspec's steps.
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  type AwsEnvironmentConfig,
  appPipelineParameters,
  BRANCH_TIP,
  environmentNames,
  type LanesConfig,
  loadConfigOrThrow,
  type ServiceConfig,
  serviceNames,
} from '@ecs-lanes/core';
import { ciDeploy, ciVerify } from '../ci.js';
import type { AwsClients } from '../clients.js';
import { type AwsContext, listExports } from '../context.js';
import { type AwsTargetOptions, createAwsContext } from '../target.js';
import type { StackTemplate, TemplateSource } from '../templates.js';
import { FakeApps } from './app-plane.js';
import type { ElbQuotas } from './elb-quotas.js';
import { FakeAws, type FakeLatencies, type PipelineRun, type PipelineRunner } from './fake-aws.js';
import { templateRoles } from './iam-roles.js';
import { fakeClients } from './plug.js';
import { VirtualClock } from './virtual-clock.js';

const ref = (name: string) => ({ Ref: name });

/** The committed lane stack template that `lanes synth` writes, resolved from this module to the repo root. */
export const REAL_LANE_STACK_TEMPLATE = new URL(
  '../../../../templates/ci/service-stack.yaml',
  import.meta.url,
);

/** The real lane stack template (`templates/ci/service-stack.yaml`), as the fake deploys it. */
export function laneStackTemplate(): string {
  return readFileSync(REAL_LANE_STACK_TEMPLATE, 'utf8');
}

/** A committed template of the Infra repo (`templates/{path}`), for example `pipelines/pipeline-app.yaml`. */
export function committedTemplate(path: string): string {
  return readFileSync(new URL(`../../../../templates/${path}`, import.meta.url), 'utf8');
}

/** The roles of a service's app pipeline (`templates/pipelines/pipeline-app.yaml`), by logical id. */
export interface AppPipelineRoles {
  /** CloudFormation's service role for the lane stacks (`LANES_CFN_ROLE_ARN`). */
  readonly laneStack: string;
  readonly build: string;
  readonly deploy: string;
  readonly verify: string;
  readonly pipeline: string;
}

/**
 * Registers in the fake's IAM the roles of the real app pipeline template of `service`, resolved with the
 * parameters `lanes synth` writes for it (core's `appPipelineParameters`) and the fake's exports.
 * The service's shared stacks must exist (the Build role imports the repository name).
 */
export function registerAppPipelineRoles(
  fake: FakeAws,
  config: LanesConfig,
  env: AwsEnvironmentConfig,
  service: string,
): AppPipelineRoles {
  const svc = config.services.find((s) => s.name === service);
  if (!svc) throw new Error(`no service ${service} in the config`);
  const roles = templateRoles(committedTemplate('pipelines/pipeline-app.yaml'), {
    stackName: `pipeline-${serviceNames(service, env.name).appPipeline}`,
    account: fake.account,
    region: fake.region,
    parameters: appPipelineParameters(config, env, svc),
    importValue: (name) => fake.exportOf(name),
  });
  for (const r of roles) fake.iam.register(r);
  const arn = (id: string) => {
    const r = roles.find((x) => x.logicalId === id);
    if (!r) throw new Error(`pipeline-app.yaml has no role ${id}`);
    return r.arn;
  };
  return {
    laneStack: arn('LaneStackRole'),
    build: arn('BuildRole'),
    deploy: arn('DeployRole'),
    verify: arn('VerifyRole'),
    pipeline: arn('PipelineRole'),
  };
}

/** A fixture template with the given parameters and one resource of `type`. */
function simpleTemplate(
  parameters: readonly string[],
  type = 'AWS::CloudFormation::WaitConditionHandle',
): string {
  return JSON.stringify({
    Parameters: Object.fromEntries(parameters.map((p) => [p, { Type: 'String' }])),
    Resources: { Main: { Type: type, Properties: Object.fromEntries(parameters.map((p) => [p, ref(p)])) } },
  });
}

/** The fixture template source: the lane stack above and the shared stacks by core's names. */
export function fixtureTemplates(): TemplateSource {
  return {
    laneStackTemplate: async () => laneStackTemplate(),
    environmentStacks: async (config: LanesConfig, env: AwsEnvironmentConfig): Promise<StackTemplate[]> => {
      const names = environmentNames(env.name);
      return [
        {
          stackName: names.networkStack,
          templateBody: simpleTemplate(
            ['VpcId', 'PrivateSubnets', 'PublicSubnets'],
            'AWS::EC2::SecurityGroup',
          ),
          parameters: {
            VpcId: env.vpcId,
            PrivateSubnets: env.privateSubnets.join(','),
            PublicSubnets: env.publicSubnets.join(','),
          },
          terminationProtection: true,
        },
        {
          stackName: names.namespaceStack,
          templateBody: simpleTemplate(['ClusterName', 'NamespaceName'], 'AWS::ECS::Cluster'),
          parameters: {
            ClusterName: env.clusterName ?? `${config.project}-${env.name}`,
            NamespaceName: names.namespace,
          },
          terminationProtection: true,
        },
        {
          stackName: `pipeline-${names.pipeline}`,
          templateBody: simpleTemplate(
            ['PipelineName', 'ExecutionMode', 'PipelineVariables', 'PipelineStages'],
            'AWS::CodePipeline::Pipeline',
          ),
          parameters: {
            PipelineName: names.pipeline,
            ExecutionMode: 'QUEUED',
            PipelineVariables: '',
            PipelineStages: 'Source,Deploy',
          },
        },
      ];
    },
    serviceStacks: async (
      _config,
      service: ServiceConfig,
      env: AwsEnvironmentConfig,
    ): Promise<StackTemplate[]> => {
      const names = serviceNames(service.name, env.name);
      return [
        {
          stackName: names.sdStack,
          templateBody: simpleTemplate(['ServiceName'], 'AWS::ServiceDiscovery::Service'),
          parameters: { ServiceName: service.name },
        },
        {
          stackName: names.logStack,
          templateBody: simpleTemplate(['LogGroupName'], 'AWS::Logs::LogGroup'),
          parameters: { LogGroupName: names.logGroup },
        },
        {
          stackName: names.albStack,
          templateBody: simpleTemplate(
            ['LoadBalancerName', 'DefaultTargetGroupName'],
            'AWS::ElasticLoadBalancingV2::LoadBalancer',
          ),
          parameters: { LoadBalancerName: names.alb, DefaultTargetGroupName: names.defaultTargetGroup },
          terminationProtection: true,
        },
        {
          stackName: names.ecrStack,
          templateBody: simpleTemplate(['RepositoryName'], 'AWS::ECR::Repository'),
          parameters: { RepositoryName: names.ecrRepository },
        },
        {
          stackName: `pipeline-${names.appPipeline}`,
          templateBody: simpleTemplate(
            ['PipelineName', 'ExecutionMode', 'PipelineVariables', 'PipelineStages'],
            'AWS::CodePipeline::Pipeline',
          ),
          parameters: {
            PipelineName: names.appPipeline,
            ExecutionMode: 'PARALLEL',
            PipelineVariables: 'lane,branch,commit=tip,ttl,owner',
            PipelineStages: 'Source,Build,Deploy,Verify',
          },
        },
      ];
    },
  };
}

/** A small configuration with one AWS environment (`dev`, account 111122223333) and two services. */
export const FIXTURE_CONFIG = `project: shop
infraRepo:
  connectionArn: arn:aws:codeconnections:us-east-1:111122223333:connection/8a1b2c3d-4e5f-6789-abcd-ef0123456789
  repository: acme/shop-infra
environments:
  - name: dev
    target: aws
    account: "111122223333"
    region: us-east-1
    vpcId: vpc-0a1b2c3d4e5f60718
    privateSubnets: [subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60002]
    publicSubnets: [subnet-0a1b2c3d4e5f60101, subnet-0a1b2c3d4e5f60102]
services:
  - name: orders
    appRepo: { repository: acme/shop-orders }
    port: 8080
    desiredCount: 2
  - name: web
    appRepo: { repository: acme/shop-web }
    port: 8080
`;

/** Everything a test against the fake needs. */
export interface FakeWorld {
  readonly clock: VirtualClock;
  readonly fake: FakeAws;
  readonly clients: AwsClients;
  readonly config: LanesConfig;
  readonly env: AwsEnvironmentConfig;
  readonly templates: TemplateSource;
  /** Target options wired to the fake (pass to `createAwsTarget`). */
  readonly options: AwsTargetOptions;
  /** A fresh context, as a new process (a CLI run with the account's administrator) would build. */
  context(): AwsContext;
  /**
   * A fresh context of a CodeBuild job of `service`'s app pipeline: its calls are made as the job's role
   * (`deploy` or `verify`) and lane stacks are deployed with the pipeline's LaneStackRole, both evaluated by the
   * fake's IAM from `templates/pipelines/pipeline-app.yaml`. The service must be bootstrapped.
   */
  jobContext(service: string, job: 'deploy' | 'verify'): AwsContext;
  /** The app pipeline roles of a bootstrapped service. */
  pipelineRoles(service: string): AppPipelineRoles;
  /** The commit (image tag) the next build of `branch` produces. @default a hash of the branch and a counter */
  commit(branch: string, tag: string): void;
  /** Bootstraps the environment and the given services with the fixture templates. */
  bootstrap(...services: string[]): Promise<void>;
}

/** Options of {@link createFakeWorld}. */
export interface FakeWorldOptions {
  readonly config?: string;
  readonly latencies?: Partial<FakeLatencies>;
  readonly priorityRange?: { readonly min: number; readonly max: number };
  /** ELB quotas the fake enforces. @default AWS's defaults (100 rules, 100 target groups per ALB) */
  readonly elbQuotas?: Partial<ElbQuotas>;
  /** Replaces the default runner (which calls `ciDeploy`/`ciVerify` directly). */
  readonly runner?: (world: FakeWorld) => PipelineRunner;
}

/** Builds a fake AWS world: virtual clock, fake, clients, fixture templates, and a CodeBuild stand-in. */
export function createFakeWorld(options: FakeWorldOptions = {}): FakeWorld {
  const clock = new VirtualClock();
  const config = loadConfigOrThrow(options.config ?? FIXTURE_CONFIG);
  const env = config.environments.find((e): e is AwsEnvironmentConfig => e.target === 'aws');
  if (!env) throw new Error('the fixture config needs an aws environment');
  const fake = new FakeAws({
    clock,
    account: env.account,
    region: env.region,
    ...(options.latencies ? { latencies: options.latencies } : {}),
    ...(options.elbQuotas ? { elbQuotas: options.elbQuotas } : {}),
  });
  const clients = fakeClients(fake);
  const templates = fixtureTemplates();
  const targetOptions: AwsTargetOptions = {
    config,
    env,
    root: '/nonexistent',
    clients,
    clock,
    templates,
    fetch: fake.fetch,
    ...(options.priorityRange ? { priorityRange: options.priorityRange } : {}),
  };
  const commits = new Map<string, string>();
  const pipelineRoles = new Map<string, AppPipelineRoles>();
  const jobClients = new Map<string, AwsClients>();
  const rolesOf = (service: string) => {
    const roles = pipelineRoles.get(service);
    if (!roles) throw new Error(`service ${service} is not bootstrapped in the fake world`);
    return roles;
  };
  let builds = 0;
  const world: FakeWorld = {
    clock,
    fake,
    clients,
    config,
    env,
    templates,
    options: targetOptions,
    context: () => createAwsContext(targetOptions),
    jobContext: (service, job) => {
      const roles = rolesOf(service);
      const roleArn = job === 'deploy' ? roles.deploy : roles.verify;
      // CodeBuild assumes the job's service role (its trust policy must let it in).
      const problem = fake.iam.cannotAssume(roleArn, 'codebuild.amazonaws.com', fake.account);
      if (problem) throw new Error(problem);
      let clients = jobClients.get(roleArn);
      if (!clients) {
        clients = fakeClients(fake, { roleArn });
        jobClients.set(roleArn, clients);
      }
      return createAwsContext({ ...targetOptions, clients, laneStackRoleArn: roles.laneStack });
    },
    pipelineRoles: rolesOf,
    commit: (branch, tag) => {
      commits.set(branch, tag);
    },
    bootstrap: async (...services) => {
      const { deployEnvironment, bootstrapService } = await import('../layers.js');
      const ctx = world.context();
      await deployEnvironment(ctx);
      for (const s of services) {
        await bootstrapService(ctx, s);
        pipelineRoles.set(s, registerAppPipelineRoles(fake, config, env, s));
      }
    },
  };
  const serviceOfPipeline = (pipeline: string) =>
    config.services.find((s) => serviceNames(s.name, env.name).appPipeline === pipeline)!.name;
  const defaultRunner: PipelineRunner = {
    build: async (run: PipelineRun) => {
      const service = serviceOfPipeline(run.pipelineName);
      const branch = run.variables.branch!;
      const commit = run.variables.commit;
      // As the buildspec: an explicit commit is built from the source revision the run started with.
      if (commit && commit !== BRANCH_TIP && run.sourceRevisions?.AppSource !== commit) {
        throw new Error(`commit ${commit} was asked for, but the App source is at another revision`);
      }
      const tag =
        commit && commit !== BRANCH_TIP
          ? commit.slice(0, 12)
          : (commits.get(branch) ??
            createHash('sha1').update(`${branch}#${builds++}`).digest('hex').slice(0, 7));
      const repo = (await listExports(world.context())).get(
        `${serviceNames(service, env.name).ecrStack}:RepositoryUri`,
      );
      return `${repo}:${tag}`;
    },
    deploy: async (run) => {
      const service = serviceOfPipeline(run.pipelineName);
      const result = await ciDeploy(world.jobContext(service, 'deploy'), {
        service,
        lane: run.variables.lane!,
        branch: run.variables.branch!,
        imageUri: run.imageUri!,
        // As the buildspec passes them: lanes ci deploy --ttl "$TTL" --owner "$OWNER".
        ...(run.variables.ttl ? { ttl: run.variables.ttl } : {}),
        ...(run.variables.owner ? { owner: run.variables.owner } : {}),
      });
      return `${result.stackName} ${result.outcome}`;
    },
    verify: async (run) => {
      const service = serviceOfPipeline(run.pipelineName);
      const checks = await ciVerify(world.jobContext(service, 'verify'), {
        service,
        lane: run.variables.lane!,
      });
      return `${checks.filter((c) => c.status === 'OK').length} checks OK`;
    },
  };
  fake.runner = options.runner ? options.runner(world) : defaultRunner;
  // Every service is an app embedding the SDK, calling what lanes.yaml says it calls.
  fake.apps = new FakeApps(env.name, env.baselineLane, config.services);
  return world;
}
