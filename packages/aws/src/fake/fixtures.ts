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
import { FakeAws, type FakeLatencies, type PipelineRun, type PipelineRunner } from './fake-aws.js';
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
            PipelineVariables: 'lane,branch,commit=tip',
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
  /** A fresh context, as a new process (a CodeBuild job, a CLI run) would build. */
  context(): AwsContext;
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
    commit: (branch, tag) => {
      commits.set(branch, tag);
    },
    bootstrap: async (...services) => {
      const { deployEnvironment, bootstrapService } = await import('../layers.js');
      const ctx = world.context();
      await deployEnvironment(ctx);
      for (const s of services) await bootstrapService(ctx, s);
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
      const result = await ciDeploy(world.context(), {
        service: serviceOfPipeline(run.pipelineName),
        lane: run.variables.lane!,
        branch: run.variables.branch!,
        imageUri: run.imageUri!,
      });
      return `${result.stackName} ${result.outcome}`;
    },
    verify: async (run) => {
      const checks = await ciVerify(world.context(), {
        service: serviceOfPipeline(run.pipelineName),
        lane: run.variables.lane!,
      });
      return `${checks.filter((c) => c.status === 'OK').length} checks OK`;
    },
  };
  fake.runner = options.runner ? options.runner(world) : defaultRunner;
  return world;
}
