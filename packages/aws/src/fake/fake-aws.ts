/**
 * A stateful in-memory fake of exactly the AWS operations the control plane calls, enforcing the rules that
 * matter to it:
 * - CloudFormation: stacks and their states, the per-stack lock (`... is in UPDATE_IN_PROGRESS state and can not
 *   be updated`), change sets (create/describe/execute/delete; an empty one FAILS with the real StatusReason;
 *   executing one makes the stack's others OBSOLETE), rollbacks (`ROLLBACK_COMPLETE` after a failed create,
 *   `UPDATE_ROLLBACK_COMPLETE` with the previous parameters after a failed update), exports and "export in
 *   use", the 51,200-byte inline `TemplateBody` limit, parameters that must exist in the template, termination
 *   protection, events, deletion in the template's dependency order (dependents first);
 * - ELBv2: load balancers, listeners, rules with unique priorities (`PriorityInUse`), target groups that cannot
 *   be deleted while a rule forwards to them, target health;
 * - ECS: clusters, task definition revisions, services and deployments with the circuit breaker (an image in
 *   {@link FakeAws.badImages} never gets healthy: the deployment fails and rolls back to the previous one);
 * - CodePipeline V2: pipelines with variables, executions in PARALLEL mode (or SUPERSEDED), action executions;
 *   stages run through a {@link PipelineRunner} the test provides (standing in for CodeBuild);
 * - Cloud Map instances, CloudWatch alarms, STS caller identity.
 * A lane stack is "applied" by interpreting core's parameter contract per resource type (target group, task
 * definition, service, listener rule, alarms); shared stacks are recognised by their names (core's naming) and
 * create the ALB, cluster, Cloud Map service or pipeline with their exports. It does not interpret arbitrary
 * CloudFormation.
 *
 * Every call waits a simulated latency on the injected clock, so concurrent callers interleave for real.
 */

import { createHash } from 'node:crypto';
import {
  type AlbHttpHeaderCondition,
  albRuleMatches,
  checkAwsName,
  checkServiceConnectDnsName,
  type DiscoveredInstance,
  ECS_SERVICE_NAME_ATTRIBUTE,
  exportName,
  isTraceRequested,
  readLane,
  SERVICE_CONNECT_NAME_RULES,
  TRACE_INSTANCE_HEADER,
  TRACE_REQUEST_HEADER,
} from '@ecs-lanes/core';
import type { Clock } from '../clock.js';
import { MAX_TEMPLATE_BODY_BYTES } from '../templates.js';
import type { FakeApps } from './app-plane.js';
import { handlerRequests } from './cfn-authorization.js';
import { laneRegistration } from './cloud-map-registration.js';
import { evaluateConditions, failedRuleAssertion, withConditions } from './conditions.js';
import { runBlueGreen } from './ecs-blue-green.js';
import { actionTargetGroups, DEFAULT_ELB_QUOTAS, type ElbQuotas, ruleQuotaError } from './elb-quotas.js';
import { FaultPlan } from './faults.js';
import { FakeIam } from './iam-principals.js';
import { callAuthorization } from './iam-requests.js';
import { generatedName, templateResolver } from './iam-roles.js';
import {
  forwardTargetGroups,
  liveTargetGroup,
  type ResolveScope,
  resolveProperty,
  type WeightedTargetGroup,
} from './intrinsics.js';
import { FakeLogs } from './logs.js';
import { FakeSsm } from './ssm.js';
import {
  creationOrder,
  deletionOrder,
  readTemplate,
  type TemplateInfo,
  type TemplateResource,
} from './template.js';

/** An AWS error as the SDK raises it (name = error code). */
export class FakeAwsError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number; requestId: string };
  constructor(name: string, message: string, status = 400) {
    super(message);
    this.name = name;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status, requestId: 'fake' };
  }
}

/** A resource that failed while a stack was applied. */
class ResourceFailure extends Error {
  constructor(
    readonly logicalId: string,
    readonly reason: string,
    /** The physical resource, when it was created before failing (rollback deletes it). */
    readonly physicalId?: string,
  ) {
    super(reason);
  }
}

/** Latencies (virtual milliseconds). */
export interface FakeLatencies {
  readonly api: number;
  readonly changeSet: number;
  readonly resource: number;
  readonly rollout: number;
  readonly drain: number;
  readonly stage: number;
}

const DEFAULT_LATENCIES: FakeLatencies = {
  api: 80,
  changeSet: 3_000,
  resource: 2_000,
  rollout: 60_000,
  drain: 30_000,
  stage: 20_000,
};

/** A pipeline execution as the runner sees it. */
export interface PipelineRun {
  readonly pipelineName: string;
  readonly executionId: string;
  readonly variables: Readonly<Record<string, string>>;
  /** The source revisions the run was started with, by source action (`{ AppSource: <commit id> }`). */
  readonly sourceRevisions?: Readonly<Record<string, string>>;
  /** The image built by the Build stage (for later stages). */
  readonly imageUri?: string;
}

/** What the stages of a pipeline do (CodeBuild running the shared buildspec). Throw to fail a stage. */
export interface PipelineRunner {
  /** Build: returns the image pushed. */
  build?(run: PipelineRun): Promise<string>;
  /** Deploy: deploys the lane stack. Returns a summary. */
  deploy?(run: PipelineRun): Promise<string | undefined>;
  /** Verify: verifies the lane. Returns a summary. */
  verify?(run: PipelineRun): Promise<string | undefined>;
}

interface StackState {
  template: string;
  info: TemplateInfo;
  parameters: Record<string, string>;
  tags: Record<string, string>;
  /** The service role CloudFormation assumed (`RoleARN` of the change set). */
  roleArn?: string;
}

interface FakeResource {
  logicalId: string;
  type: string;
  physicalId: string;
  status: string;
  timestamp: Date;
}

interface FakeEvent {
  EventId: string;
  StackId: string;
  StackName: string;
  LogicalResourceId: string;
  PhysicalResourceId: string;
  ResourceType: string;
  ResourceStatus: string;
  ResourceStatusReason?: string;
  Timestamp: Date;
}

interface FakeStack {
  stackId: string;
  stackName: string;
  status: string;
  statusReason?: string;
  creationTime: Date;
  lastUpdatedTime?: Date;
  deletionTime?: Date;
  state?: StackState;
  resources: Map<string, FakeResource>;
  events: FakeEvent[];
  outputs: Record<string, string>;
  exports: Record<string, string>;
  imports: string[];
  terminationProtection: boolean;
  policy?: string;
  /** Tags of the CREATE change set that made a REVIEW_IN_PROGRESS stack (shown until a change set runs). */
  reviewTags?: Record<string, string>;
}

interface FakeChangeSet {
  id: string;
  name: string;
  stackId: string;
  type: 'CREATE' | 'UPDATE';
  status: 'CREATE_PENDING' | 'CREATE_COMPLETE' | 'FAILED';
  statusReason?: string;
  executionStatus:
    | 'UNAVAILABLE'
    | 'AVAILABLE'
    | 'EXECUTE_IN_PROGRESS'
    | 'EXECUTE_COMPLETE'
    | 'EXECUTE_FAILED'
    | 'OBSOLETE';
  next: StackState;
  changes: { Action: string; LogicalResourceId: string; ResourceType: string; Replacement?: string }[];
  creationTime: Date;
}

interface FakeRule {
  arn: string;
  priority: number;
  conditions: AlbHttpHeaderCondition[];
  /** The target group requests go to (the heaviest of {@link forward}; '' when every weight is 0). */
  targetGroupArn: string;
  /** The forward action: every target group with its weight. */
  forward: WeightedTargetGroup[];
}

interface FakeListener {
  arn: string;
  loadBalancerArn: string;
  port: number;
  defaultTargetGroupArn: string;
  rules: FakeRule[];
}

interface FakeTargetGroup {
  arn: string;
  name: string;
  targets: Map<string, string>;
}

interface FakeTaskDefinition {
  family: string;
  revision: number;
  arn: string;
  image: string;
  lane: string;
  status: 'ACTIVE' | 'INACTIVE';
  /** The first container's plain environment (`Name`/`Value`), intrinsics resolved against the parameters. */
  environment: { name: string; value: string }[];
  /** The first container's `Secrets` (`Name`/`ValueFrom`): what ECS reads at task start. */
  secrets: { name: string; valueFrom: string }[];
  /** True when the essential container has a container health check (ECS reports it to Cloud Map). */
  hasHealthCheck: boolean;
}

interface FakeDeployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  taskDefinition: string;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason?: string;
  desiredCount: number;
  runningCount: number;
  createdAt: Date;
}

interface FakeEcsService {
  cluster: string;
  name: string;
  arn: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  /** The task definition whose tasks serve now. */
  serving?: string;
  targetGroupArn?: string;
  cloudMapServiceId?: string;
  /** The port of the ServiceRegistries entry (containerPort or port), when one is configured. */
  registryPort?: number;
  /** The task definition serving in each target group (two during a blue/green deployment). */
  servingByTg: Map<string, string>;
  port: number;
  deployments: FakeDeployment[];
  events: { message: string; createdAt: Date }[];
  createdAt: Date;
}

interface FakePipeline {
  name: string;
  executionMode: 'PARALLEL' | 'QUEUED' | 'SUPERSEDED';
  variables: { name: string; defaultValue?: string }[];
  stages: string[];
}

interface FakeActionExecution {
  actionExecutionId: string;
  pipelineExecutionId: string;
  stageName: string;
  actionName: string;
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Abandoned';
  summary?: string;
  startTime: Date;
  lastUpdateTime: Date;
}

interface FakeExecution {
  id: string;
  pipelineName: string;
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Superseded' | 'Stopped';
  statusSummary?: string;
  variables: Record<string, string>;
  sourceRevisions: Record<string, string>;
  startTime: Date;
  lastUpdateTime: Date;
  actions: FakeActionExecution[];
}

/** A physical effect recorded in order, for assertions on ordering (`delete-rule`, `delete-tg`, ...). */
export interface FakeEffect {
  readonly at: number;
  readonly what: string;
  readonly name: string;
}

/** Options of {@link FakeAws}. */
export interface FakeAwsOptions {
  readonly clock: Clock;
  readonly account?: string;
  readonly region?: string;
  readonly latencies?: Partial<FakeLatencies>;
  /** ELB quotas per load balancer (elb-quotas.ts). @default AWS's defaults: 100 rules, 100 target groups, 5 per action */
  readonly elbQuotas?: Partial<ElbQuotas>;
}

type Handler = (input: Record<string, unknown>) => unknown;

/** The fake. See the module doc. */
export class FakeAws {
  readonly clock: Clock;
  readonly account: string;
  readonly region: string;
  readonly latencies: FakeLatencies;
  /** The ELB quotas enforced on listener rules. */
  readonly elbQuotas: ElbQuotas;
  /** Image URIs (or tags) whose tasks never become healthy: their deployments trip the circuit breaker. */
  readonly badImages = new Set<string>();
  /** Every call, in order, as `Service:Operation`. */
  readonly calls: string[] = [];
  /** Physical effects in order. */
  readonly effects: FakeEffect[] = [];
  /** What pipeline stages do. */
  runner: PipelineRunner = {};
  /** CloudWatch Logs (`fake/logs.ts`): log groups the log stacks create, streams tasks write. */
  readonly logs: FakeLogs;
  /** SSM Parameter Store (`fake/ssm.ts`). */
  readonly ssm: FakeSsm;
  /**
   * The account's roles. A call made as a registered role (see {@link FakeAws.handle}) and every resource change
   * of a stack whose service role is registered are evaluated against the role's policies.
   */
  readonly iam = new FakeIam();
  /** The apps behind the ALBs, answering traced requests (app-plane.ts). @default none: no trace reports */
  apps: FakeApps | undefined = undefined;
  /** Errors the next calls of an operation answer with (see `faults.ts`). */
  readonly faults = new FaultPlan();

  private readonly stacks = new Map<string, FakeStack>();
  private readonly changeSets = new Map<string, FakeChangeSet>();
  private readonly exports = new Map<string, { value: string; stackId: string; stackName: string }>();
  private readonly loadBalancers = new Map<string, { arn: string; name: string; dns: string }>();
  private readonly listeners = new Map<string, FakeListener>();
  private readonly targetGroups = new Map<string, FakeTargetGroup>();
  private readonly clusters = new Set<string>();
  private readonly taskDefinitions = new Map<string, FakeTaskDefinition[]>();
  private readonly ecsServices = new Map<string, FakeEcsService>();
  private readonly cloudMap = new Map<
    string,
    {
      id: string;
      arn: string;
      name: string;
      namespace: string;
      instances: Map<string, Record<string, string>>;
      health: Map<string, 'HEALTHY' | 'UNHEALTHY'>;
    }
  >();
  private readonly alarms = new Map<string, { name: string; state: string }>();
  private readonly pipelines = new Map<string, FakePipeline>();
  private readonly executions = new Map<string, FakeExecution>();
  private readonly throttles = new Map<string, number>();
  private readonly background = new Set<Promise<void>>();
  private counter = 0;
  private readonly handlers: Record<string, Handler>;

  constructor(options: FakeAwsOptions) {
    this.clock = options.clock;
    this.account = options.account ?? '111122223333';
    this.region = options.region ?? 'us-east-1';
    this.latencies = { ...DEFAULT_LATENCIES, ...options.latencies };
    const parts = {
      clock: this.clock,
      account: this.account,
      region: this.region,
      error: (name: string, message: string) => new FakeAwsError(name, message),
    };
    this.logs = new FakeLogs(parts);
    this.ssm = new FakeSsm(parts);
    this.elbQuotas = { ...DEFAULT_ELB_QUOTAS, ...options.elbQuotas };
    this.handlers = {
      ...this.logs.handlers(),
      ...this.ssm.handlers(),
      // CloudFormation
      DescribeStacks: (i) => this.describeStacks(i),
      DescribeStackEvents: (i) => this.describeStackEvents(i),
      DescribeStackResources: (i) => this.describeStackResources(i),
      // GetTemplate: the template of the stack's current state (API_GetTemplate.html, Stage "Original").
      GetTemplate: (i) => ({ TemplateBody: this.requireStack(i.StackName as string).state?.template }),
      CreateChangeSet: (i) => this.createChangeSet(i),
      DescribeChangeSet: (i) => this.describeChangeSet(i),
      ExecuteChangeSet: (i) => this.executeChangeSet(i),
      DeleteChangeSet: (i) => this.deleteChangeSet(i),
      DeleteStack: (i) => this.deleteStack(i),
      ListExports: (i) => this.listExports(i),
      UpdateTerminationProtection: (i) => this.updateTerminationProtection(i),
      SetStackPolicy: (i) => {
        const stack = this.requireStack(i.StackName as string);
        JSON.parse(i.StackPolicyBody as string);
        stack.policy = i.StackPolicyBody as string;
        return {};
      },
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_GetStackPolicy.html: no body when
      // the stack has no policy.
      GetStackPolicy: (i) => {
        const stack = this.requireStack(i.StackName as string);
        return stack.policy ? { StackPolicyBody: stack.policy } : {};
      },
      // ELBv2
      DescribeRules: (i) => this.describeRules(i),
      DescribeTargetGroups: (i) => this.describeTargetGroups(i),
      DescribeTargetHealth: (i) => this.describeTargetHealth(i),
      // ECS
      DescribeServices: (i) => this.describeServices(i),
      // CodePipeline
      GetPipeline: (i) => this.getPipeline(i),
      StartPipelineExecution: (i) => this.startPipelineExecution(i),
      GetPipelineExecution: (i) => this.getPipelineExecution(i),
      ListPipelineExecutions: (i) => this.listPipelineExecutions(i),
      ListActionExecutions: (i) => this.listActionExecutions(i),
      // Cloud Map, CloudWatch, STS
      ListInstances: (i) => this.listInstances(i),
      DiscoverInstances: (i) => this.discoverInstances(i),
      DescribeAlarms: (i) => this.describeAlarms(i),
      GetCallerIdentity: () => ({
        Account: this.account,
        Arn: `arn:aws:sts::${this.account}:assumed-role/deployer/fake`,
        UserId: 'AROAFAKE:fake',
      }),
    };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Plumbing
  // ---------------------------------------------------------------------------------------------------------

  /**
   * Handles one SDK command (`DescribeStacksCommand`) after the simulated latency. With `roleArn` (the caller is a
   * session of that role, registered in {@link FakeAws.iam}), IAM authorizes the call first (`iam-requests.ts`).
   */
  async handle(
    commandName: string,
    input: Record<string, unknown>,
    roleArn?: string,
  ): Promise<Record<string, unknown>> {
    const op = commandName.replace(/Command$/, '');
    this.calls.push(op);
    await this.clock.sleep(this.latencies.api);
    const throttled = this.throttles.get(op) ?? 0;
    if (throttled > 0) {
      this.throttles.set(op, throttled - 1);
      throw new FakeAwsError('Throttling', 'Rate exceeded', 400);
    }
    const fault = this.faults.take(op);
    if (fault) throw new FakeAwsError(fault.name, fault.message, fault.status ?? 400);
    const handler = this.handlers[op];
    if (!handler) throw new Error(`the fake does not implement ${op}`);
    if (roleArn) this.authorizeCall(roleArn, op, input ?? {});
    const out = handler(input ?? {});
    return ((await out) ?? {}) as Record<string, unknown>;
  }

  /** The next `count` calls of `operation` (`DescribeStacks`) fail with `Throttling: Rate exceeded`. */
  throttle(operation: string, count: number): void {
    this.throttles.set(operation, count);
  }

  /** Waits until every background operation (stack operations, pipeline runs) has ended. */
  async settle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  private authorizeCall(roleArn: string, op: string, input: Record<string, unknown>): void {
    if (!this.iam.role(roleArn)) throw new FakeAwsError('AccessDenied', `The fake knows no role ${roleArn}`);
    const auth = callAuthorization(op, input, {
      account: this.account,
      region: this.region,
      stackArn: (nameOrId) =>
        nameOrId.startsWith('arn:aws:cloudformation:') && nameOrId.includes(':stack/')
          ? nameOrId
          : (this.liveStack(nameOrId)?.stackId ??
            (this.changeSets.get(nameOrId) &&
              this.stacks.get(this.changeSets.get(nameOrId)!.stackId)?.stackId) ??
            `arn:aws:cloudformation:${this.region}:${this.account}:stack/${nameOrId}/00000000-0000-0000-0000-000000000000`),
    });
    for (const request of auth?.requests ?? []) {
      const denied = this.iam.denied(roleArn, request);
      if (denied) throw new FakeAwsError(auth!.errorCode, denied, 403);
    }
  }

  /** Fails the resource when the stack's registered service role may not run `handler` on it. */
  private authorizeHandler(
    stack: FakeStack,
    state: StackState,
    resource: { logicalId: string; type: string; properties: Readonly<Record<string, unknown>> },
    handler: 'create' | 'update' | 'delete',
    physicalId: string | undefined,
  ): void {
    const roleArn = state.roleArn;
    if (!roleArn || !this.iam.role(roleArn)) return;
    const resolver = this.resolverOf(stack, state);
    const requests =
      handlerRequests({ ...resource, ...(physicalId ? { physicalId } : {}) }, handler, resolver, {
        account: this.account,
        region: this.region,
      }) ?? [];
    for (const request of requests) {
      const denied = this.iam.denied(roleArn, request);
      if (denied) {
        throw new ResourceFailure(
          resource.logicalId,
          `Resource handler returned message: "${denied}" (Service: ${request.action.split(':')[0]}, Status Code: 403) (HandlerErrorCode: AccessDenied)`,
        );
      }
    }
  }

  private readonly resolvers = new WeakMap<StackState, ReturnType<typeof templateResolver>>();

  /** The template of `state` resolved for `stack` (physical ids are read live from the stack's resources). */
  private resolverOf(stack: FakeStack, state: StackState): ReturnType<typeof templateResolver> {
    let resolver = this.resolvers.get(state);
    if (!resolver) {
      resolver = templateResolver(state.template, {
        stackName: stack.stackName,
        account: this.account,
        region: this.region,
        parameters: state.parameters,
        importValue: (name) => this.exportValue(name),
        physicalId: (id) => stack.resources.get(id)?.physicalId,
      });
      this.resolvers.set(state, resolver);
    }
    return resolver;
  }

  private spawn(work: () => Promise<void>): void {
    const p = work().catch((error) => {
      this.effects.push({
        at: this.clock.now(),
        what: 'background-error',
        name: String(error?.stack ?? error),
      });
    });
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  private id(prefix = ''): string {
    this.counter++;
    return `${prefix}${createHash('sha256').update(String(this.counter)).digest('hex').slice(0, 12)}`;
  }

  private effect(what: string, name: string): void {
    this.effects.push({ at: this.clock.now(), what, name });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Inspection for tests
  // ---------------------------------------------------------------------------------------------------------

  /** A JSON-comparable picture of every resource (to assert "nothing changed"). */
  snapshot(): unknown {
    const live = [...this.stacks.values()].filter((s) => s.status !== 'DELETE_COMPLETE');
    return {
      stacks: live
        .map((s) => ({
          name: s.stackName,
          status: s.status,
          parameters: s.state?.parameters,
          tags: s.state?.tags,
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      changeSets: [...this.changeSets.values()].filter((c) => c.executionStatus === 'AVAILABLE').length,
      exports: [...this.exports.keys()].sort(),
      rules: [...this.listeners.values()]
        .flatMap((l) => l.rules.map((r) => `${r.priority}:${r.targetGroupArn}`))
        .sort(),
      targetGroups: [...this.targetGroups.values()].map((t) => `${t.name}:${t.targets.size}`).sort(),
      services: [...this.ecsServices.values()]
        .map((s) => `${s.name}:${s.status}:${s.serving ?? '-'}:${s.desiredCount}`)
        .sort(),
      executions: this.executions.size,
      alarms: [...this.alarms.keys()].sort(),
    };
  }

  /** The rules of the listener of `listenerArn` (or of the only listener), in priority order. */
  listenerRules(
    listenerArn?: string,
  ): { priority: number; conditions: AlbHttpHeaderCondition[]; targetGroupName: string }[] {
    const listener = listenerArn ? this.listeners.get(listenerArn) : [...this.listeners.values()][0];
    if (!listener) return [];
    return [...listener.rules]
      .sort((a, b) => a.priority - b.priority)
      .map((r) => ({
        priority: r.priority,
        conditions: r.conditions,
        targetGroupName: this.targetGroups.get(r.targetGroupArn)?.name ?? '?',
      }));
  }

  /** Every listener's ARN with its load balancer's DNS name. */
  listenerArns(): { arn: string; dns: string }[] {
    return [...this.listeners.values()].map((l) => ({
      arn: l.arn,
      dns: this.loadBalancers.get(l.loadBalancerArn)!.dns,
    }));
  }

  /** The stack's current status, parameters and tags, or undefined. */
  stack(
    name: string,
  ):
    | { status: string; parameters: Record<string, string>; tags: Record<string, string>; roleArn?: string }
    | undefined {
    const s = this.liveStack(name);
    return s
      ? {
          status: s.status,
          parameters: { ...s.state?.parameters },
          tags: { ...s.state?.tags },
          ...(s.state?.roleArn ? { roleArn: s.state.roleArn } : {}),
        }
      : undefined;
  }

  /** Every event of a stack (oldest first), by name or id, deleted stacks included. */
  stackEvents(nameOrId: string): FakeEvent[] {
    const byId = this.stacks.get(nameOrId);
    const stacks = byId ? [byId] : [...this.stacks.values()].filter((x) => x.stackName === nameOrId);
    return stacks.flatMap((x) => [...x.events].reverse());
  }

  /** The value of the export named `name`, if any. */
  exportOf(name: string): string | undefined {
    return this.exports.get(name)?.value;
  }

  /** The revisions of task definition family `family`, oldest first. */
  taskDefinitionRevisions(family: string): readonly Readonly<FakeTaskDefinition>[] {
    return this.taskDefinitions.get(family) ?? [];
  }

  /** The ECS service, if any. */
  ecsService(cluster: string, name: string): FakeEcsService | undefined {
    return this.ecsServices.get(`${cluster}/${name}`);
  }

  /**
   * The tasks of an ECS service stop after it was deployed (a crash, a dependency outage), as a test needs to
   * prove that status comes from what runs: it has no running task, its targets turn `unhealthy`, its Cloud Map
   * instances are deregistered; the stack stays as it was.
   */
  stopTasks(cluster: string, name: string): void {
    const svc = this.ecsServices.get(`${cluster}/${name}`);
    if (!svc) throw new Error(`no ECS service ${cluster}/${name}`);
    svc.serving = undefined;
    const tg = svc.targetGroupArn ? this.targetGroups.get(svc.targetGroupArn) : undefined;
    for (const id of tg?.targets.keys() ?? [])
      if (id.startsWith(`${svc.name}/`)) tg!.targets.set(id, 'unhealthy');
    const sd = svc.cloudMapServiceId ? this.cloudMap.get(svc.cloudMapServiceId) : undefined;
    for (const [id, attrs] of sd?.instances ?? [])
      if (attrs[ECS_SERVICE_NAME_ATTRIBUTE] === svc.name) sd!.instances.delete(id);
  }

  /** The pipeline execution. */
  execution(id: string): FakeExecution | undefined {
    return this.executions.get(id);
  }

  // ---------------------------------------------------------------------------------------------------------
  // The data plane: HTTP through an ALB, routed by its listener rules (core's ALB model)
  // ---------------------------------------------------------------------------------------------------------

  /** A `fetch` that answers requests to the fake ALBs' DNS names as the lanes behind them would. */
  readonly fetch = async (
    url: string,
    init?: { headers?: Record<string, string> },
  ): Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }> => {
    await this.clock.sleep(5);
    const parsed = new URL(url);
    const lb = [...this.loadBalancers.values()].find((l) => l.dns === parsed.hostname);
    const respond = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
      status,
      headers: { get: (n: string) => headers[n.toLowerCase()] ?? null },
      text: async () => JSON.stringify(body),
    });
    if (!lb) throw new TypeError(`fetch failed: getaddrinfo ENOTFOUND ${parsed.hostname}`);
    const listener = [...this.listeners.values()].find((l) => l.loadBalancerArn === lb.arn && l.port === 80);
    if (!listener) throw new TypeError('fetch failed: connect ECONNREFUSED');
    const tgArn = this.routeOnListener(listener, init?.headers ?? {}).targetGroupArn;
    const tg = this.targetGroups.get(tgArn);
    const healthy = tg ? [...tg.targets.values()].filter((s) => s === 'healthy').length : 0;
    if (!tg || healthy === 0) return respond(503, { message: 'Service Temporarily Unavailable' });
    const service = [...this.ecsServices.values()].find(
      (s) => s.status === 'ACTIVE' && s.servingByTg.has(tgArn),
    );
    const servingTd = service?.servingByTg.get(tgArn);
    const td = servingTd ? this.taskDefinitionByArn(servingTd) : undefined;
    if (!td) return respond(503, { message: 'Service Temporarily Unavailable' });
    const version = td.image.slice(td.image.lastIndexOf(':') + 1);
    const app = this.apps?.serviceOf(service!.name);
    const headers = Object.fromEntries(
      Object.entries(init?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
    );
    const report =
      app && isTraceRequested(headers[TRACE_REQUEST_HEADER])
        ? this.apps!.reportHeader(this, app.service, td.lane, readLane(headers.tracestate))
        : undefined;
    return respond(
      200,
      { lane: td.lane, version, path: parsed.pathname },
      {
        'x-lanes-lane': td.lane,
        'content-type': 'application/json',
        ...(report === undefined ? {} : { [TRACE_INSTANCE_HEADER]: report }),
      },
    );
  };

  /** The instances registered in the Cloud Map service named `service`, as `DiscoverInstances` returns them. */
  discover(service: string): DiscoveredInstance[] {
    const sd = [...this.cloudMap.values()].find((s) => s.name === service);
    return [...(sd?.instances ?? [])].map(([InstanceId, Attributes]) => ({
      InstanceId,
      NamespaceName: '',
      ServiceName: service,
      HealthStatus: 'HEALTHY' as const,
      Attributes,
    }));
  }

  /**
   * Where the load balancer of `url` sends a request with these headers, as the ALB decides it: the rules
   * "are evaluated in priority order, from the lowest value to the highest value", the first whose
   * conditions all match wins, else the default action; a weighted forward goes to its heaviest group.
   * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-update-rules.html
   */
  route(
    url: string,
    headers: Readonly<Record<string, string>> = {},
  ): { priority?: number; targetGroupName: string } | undefined {
    const lb = [...this.loadBalancers.values()].find((l) => l.dns === new URL(url).hostname);
    const listener = lb
      ? [...this.listeners.values()].find((l) => l.loadBalancerArn === lb.arn && l.port === 80)
      : undefined;
    if (!listener) return undefined;
    const { rule, targetGroupArn } = this.routeOnListener(listener, headers);
    return {
      ...(rule ? { priority: rule.priority } : {}),
      targetGroupName: this.targetGroups.get(targetGroupArn)?.name ?? '?',
    };
  }

  private routeOnListener(
    listener: FakeListener,
    rawHeaders: Readonly<Record<string, string>>,
  ): { rule?: FakeRule; targetGroupArn: string } {
    const headers = Object.fromEntries(Object.entries(rawHeaders).map(([k, v]) => [k.toLowerCase(), v]));
    const rule = [...listener.rules]
      .sort((a, b) => a.priority - b.priority)
      .find((r) => albRuleMatches(r.conditions, headers));
    return rule
      ? { rule, targetGroupArn: rule.targetGroupArn }
      : { targetGroupArn: listener.defaultTargetGroupArn };
  }

  // ---------------------------------------------------------------------------------------------------------
  // CloudFormation
  // ---------------------------------------------------------------------------------------------------------

  private liveStack(nameOrId: string): FakeStack | undefined {
    const byId = this.stacks.get(nameOrId);
    if (byId) return byId;
    return [...this.stacks.values()].find((s) => s.stackName === nameOrId && s.status !== 'DELETE_COMPLETE');
  }

  private requireStack(nameOrId: string): FakeStack {
    const s = this.liveStack(nameOrId);
    if (!s || (s.status === 'DELETE_COMPLETE' && !nameOrId.startsWith('arn:'))) {
      throw new FakeAwsError('ValidationError', `Stack with id ${nameOrId} does not exist`);
    }
    return s;
  }

  private stackView(s: FakeStack) {
    return {
      StackId: s.stackId,
      StackName: s.stackName,
      StackStatus: s.status,
      ...(s.statusReason ? { StackStatusReason: s.statusReason } : {}),
      CreationTime: s.creationTime,
      ...(s.lastUpdatedTime ? { LastUpdatedTime: s.lastUpdatedTime } : {}),
      ...(s.deletionTime ? { DeletionTime: s.deletionTime } : {}),
      Parameters: Object.entries(s.state?.parameters ?? {}).map(([ParameterKey, ParameterValue]) => ({
        ParameterKey,
        ParameterValue,
      })),
      Tags: Object.entries(s.state?.tags ?? s.reviewTags ?? {}).map(([Key, Value]) => ({ Key, Value })),
      Outputs: Object.entries(s.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      EnableTerminationProtection: s.terminationProtection,
      ...(s.state?.roleArn ? { RoleARN: s.state.roleArn } : {}),
    };
  }

  private describeStacks(input: Record<string, unknown>) {
    const name = input.StackName as string | undefined;
    if (name) return { Stacks: [this.stackView(this.requireStack(name))] };
    const all = [...this.stacks.values()].filter((s) => s.status !== 'DELETE_COMPLETE');
    const start = Number((input.NextToken as string | undefined) ?? 0);
    const page = all.slice(start, start + 10);
    return {
      Stacks: page.map((s) => this.stackView(s)),
      ...(start + 10 < all.length ? { NextToken: String(start + 10) } : {}),
    };
  }

  private describeStackEvents(input: Record<string, unknown>) {
    const s = this.requireStack(input.StackName as string);
    return { StackEvents: s.events.slice(0, 100) };
  }

  private describeStackResources(input: Record<string, unknown>) {
    const s = this.requireStack(input.StackName as string);
    return {
      StackResources: [...s.resources.values()].map((r) => ({
        StackName: s.stackName,
        StackId: s.stackId,
        LogicalResourceId: r.logicalId,
        PhysicalResourceId: r.physicalId,
        ResourceType: r.type,
        ResourceStatus: r.status,
        Timestamp: r.timestamp,
      })),
    };
  }

  private event(
    s: FakeStack,
    logicalId: string,
    type: string,
    status: string,
    physicalId = '',
    reason?: string,
  ): void {
    s.events.unshift({
      EventId: this.id('ev-'),
      StackId: s.stackId,
      StackName: s.stackName,
      LogicalResourceId: logicalId,
      PhysicalResourceId: physicalId,
      ResourceType: type,
      ResourceStatus: status,
      ...(reason ? { ResourceStatusReason: reason } : {}),
      Timestamp: new Date(this.clock.now()),
    });
  }

  private stackStatus(s: FakeStack, status: string, reason?: string): void {
    s.status = status;
    s.statusReason = reason;
    this.event(s, s.stackName, 'AWS::CloudFormation::Stack', status, s.stackId, reason);
  }

  private createChangeSet(input: Record<string, unknown>) {
    const stackName = input.StackName as string;
    const name = input.ChangeSetName as string;
    const type = (input.ChangeSetType as 'CREATE' | 'UPDATE' | undefined) ?? 'UPDATE';
    const body = input.TemplateBody as string | undefined;
    if (!body)
      throw new FakeAwsError('ValidationError', 'Either Template URL or Template Body must be specified.');
    if (Buffer.byteLength(body, 'utf8') > MAX_TEMPLATE_BODY_BYTES) {
      throw new FakeAwsError(
        'ValidationError',
        `1 validation error detected: Value '${body.slice(0, 20)}...' at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TEMPLATE_BODY_BYTES}`,
      );
    }
    let template: TemplateInfo;
    try {
      template = readTemplate(body);
    } catch (error) {
      throw new FakeAwsError('ValidationError', `Template format error: ${(error as Error).message}`);
    }
    const parameters: Record<string, string> = {};
    for (const p of (input.Parameters as { ParameterKey: string; ParameterValue: string }[] | undefined) ??
      []) {
      parameters[p.ParameterKey] = p.ParameterValue;
    }
    const unknown = Object.keys(parameters).filter((k) => !template.parameters.has(k));
    if (unknown.length)
      throw new FakeAwsError(
        'ValidationError',
        `Parameters: [${unknown.join(', ')}] do not exist in the template`,
      );
    const missing = [...template.parameters]
      .filter(([k, v]) => !v.hasDefault && parameters[k] === undefined)
      .map(([k]) => k);
    if (missing.length)
      throw new FakeAwsError('ValidationError', `Parameters: [${missing.join(', ')}] must have values`);
    // CloudFormation checks the template's Rules, then creates only the resources whose Condition holds.
    let info: TemplateInfo;
    try {
      const failed = failedRuleAssertion(template, parameters);
      if (failed) throw new Error(failed);
      info = withConditions(template, parameters);
    } catch (error) {
      throw new FakeAwsError('ValidationError', (error as Error).message);
    }
    // CloudFormation assumes the service role: its trust policy must let cloudformation.amazonaws.com in.
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html
    if (typeof input.RoleARN === 'string' && this.iam.role(input.RoleARN)) {
      const problem = this.iam.cannotAssume(input.RoleARN, 'cloudformation.amazonaws.com', this.account);
      if (problem) throw new FakeAwsError('ValidationError', problem);
    }
    const tags: Record<string, string> = {};
    for (const t of (input.Tags as { Key: string; Value: string }[] | undefined) ?? []) tags[t.Key] = t.Value;
    let stack = this.liveStack(stackName);
    if (type === 'CREATE') {
      if (stack && stack.status !== 'REVIEW_IN_PROGRESS') {
        throw new FakeAwsError(
          'AlreadyExistsException',
          `Stack [${stackName}] already exists and cannot be created again with the changeSet [${name}].`,
        );
      }
      if (!stack) {
        stack = {
          stackId: `arn:aws:cloudformation:${this.region}:${this.account}:stack/${stackName}/${this.id()}`,
          stackName,
          status: 'REVIEW_IN_PROGRESS',
          creationTime: new Date(this.clock.now()),
          resources: new Map(),
          events: [],
          outputs: {},
          exports: {},
          imports: [],
          terminationProtection: false,
          // Unsure (docs/aws-fidelity.md): the stack a CREATE change set makes is taken to carry its tags.
          reviewTags: tags,
        };
        this.stacks.set(stack.stackId, stack);
        this.stackStatus(stack, 'REVIEW_IN_PROGRESS', 'User Initiated');
      }
    } else {
      if (!stack) throw new FakeAwsError('ValidationError', `Stack [${stackName}] does not exist`);
      if (
        stack.status.endsWith('_IN_PROGRESS') ||
        stack.status === 'ROLLBACK_COMPLETE' ||
        stack.status.endsWith('_FAILED')
      ) {
        throw new FakeAwsError(
          'ValidationError',
          `Stack:${stack.stackId} is in ${stack.status} state and can not be updated.`,
        );
      }
    }
    const cs: FakeChangeSet = {
      id: `arn:aws:cloudformation:${this.region}:${this.account}:changeSet/${name}/${this.id()}`,
      name,
      stackId: stack.stackId,
      type,
      status: 'CREATE_PENDING',
      executionStatus: 'UNAVAILABLE',
      next: {
        template: body,
        info,
        parameters,
        tags,
        ...(typeof input.RoleARN === 'string' ? { roleArn: input.RoleARN } : {}),
      },
      changes: [],
      creationTime: new Date(this.clock.now()),
    };
    this.changeSets.set(cs.id, cs);
    const target = stack;
    this.spawn(async () => {
      await this.clock.sleep(this.latencies.changeSet);
      const obsolete = cs.executionStatus === 'OBSOLETE';
      cs.changes = this.diff(target.state, cs.next, type);
      // A change set with no changes fails: Status FAILED, the reason in StatusReason ("DescribeChangeSet",
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeChangeSet.html; the CLI's
      // --fail-on-empty-changeset, https://docs.aws.amazon.com/cli/latest/reference/cloudformation/deploy/index.html).
      // The reason's wording is AWS's as clients match it (aws-actions/aws-cloudformation-github-deploy src/deploy.ts;
      // ansible-collections/amazon.aws#507, which also saw "No updates are to be performed."). See docs/aws-fidelity.md.
      if (cs.changes.length === 0) {
        cs.status = 'FAILED';
        cs.statusReason =
          "The submitted information didn't contain changes. Submit different information or create a change set to see more details.";
      } else {
        cs.status = 'CREATE_COMPLETE';
        cs.executionStatus = obsolete ? 'OBSOLETE' : 'AVAILABLE';
      }
    });
    return { Id: cs.id, StackId: stack.stackId };
  }

  /** The changes from `prev` to `next`: every resource added, modified (a referenced parameter or tags changed) or removed. */
  private diff(
    prev: StackState | undefined,
    next: StackState,
    type: 'CREATE' | 'UPDATE',
  ): FakeChangeSet['changes'] {
    if (type === 'CREATE' || !prev) {
      return [...next.info.resources.values()].map((r) => ({
        Action: 'Add',
        LogicalResourceId: r.logicalId,
        ResourceType: r.type,
      }));
    }
    const changes: FakeChangeSet['changes'] = [];
    const tagsChanged = JSON.stringify(prev.tags) !== JSON.stringify(next.tags);
    const templateChanged = prev.template !== next.template;
    const changedParams = new Set(
      [...new Set([...Object.keys(prev.parameters), ...Object.keys(next.parameters)])].filter(
        (k) => prev.parameters[k] !== next.parameters[k],
      ),
    );
    for (const r of next.info.resources.values()) {
      const before = prev.info.resources.get(r.logicalId);
      if (!before) changes.push({ Action: 'Add', LogicalResourceId: r.logicalId, ResourceType: r.type });
      else if (tagsChanged || templateChanged || r.parameters.some((p) => changedParams.has(p))) {
        changes.push({
          Action: 'Modify',
          LogicalResourceId: r.logicalId,
          ResourceType: r.type,
          Replacement: r.type === 'AWS::ECS::TaskDefinition' ? 'True' : 'False',
        });
      }
    }
    for (const r of prev.info.resources.values()) {
      if (!next.info.resources.has(r.logicalId))
        changes.push({ Action: 'Remove', LogicalResourceId: r.logicalId, ResourceType: r.type });
    }
    return changes;
  }

  private requireChangeSet(input: Record<string, unknown>): FakeChangeSet {
    const id = input.ChangeSetName as string;
    const cs =
      this.changeSets.get(id) ??
      [...this.changeSets.values()].find(
        (c) => c.name === id && this.stacks.get(c.stackId)?.stackName === input.StackName,
      );
    if (!cs) throw new FakeAwsError('ChangeSetNotFoundException', `ChangeSet [${id}] does not exist`, 404);
    return cs;
  }

  private describeChangeSet(input: Record<string, unknown>) {
    const cs = this.requireChangeSet(input);
    const stack = this.stacks.get(cs.stackId)!;
    return {
      ChangeSetId: cs.id,
      ChangeSetName: cs.name,
      StackId: cs.stackId,
      StackName: stack.stackName,
      Status: cs.status,
      ...(cs.statusReason ? { StatusReason: cs.statusReason } : {}),
      ExecutionStatus: cs.executionStatus,
      CreationTime: cs.creationTime,
      Changes: cs.changes.map((c) => ({ Type: 'Resource', ResourceChange: c })),
    };
  }

  private deleteChangeSet(input: Record<string, unknown>) {
    const cs = this.requireChangeSet(input);
    if (cs.executionStatus === 'EXECUTE_IN_PROGRESS') {
      throw new FakeAwsError(
        'InvalidChangeSetStatusException',
        `ChangeSet [${cs.id}] cannot be deleted in its current status of [EXECUTE_IN_PROGRESS]`,
      );
    }
    this.changeSets.delete(cs.id);
    return {};
  }

  private executeChangeSet(input: Record<string, unknown>) {
    const cs = this.requireChangeSet(input);
    const stack = this.stacks.get(cs.stackId)!;
    if (cs.status !== 'CREATE_COMPLETE' || cs.executionStatus !== 'AVAILABLE') {
      throw new FakeAwsError(
        'InvalidChangeSetStatusException',
        `ChangeSet [${cs.id}] cannot be executed in its current status of [${cs.executionStatus === 'AVAILABLE' ? cs.status : cs.executionStatus}]`,
      );
    }
    if (stack.status.endsWith('_IN_PROGRESS') && stack.status !== 'REVIEW_IN_PROGRESS') {
      throw new FakeAwsError(
        'ValidationError',
        `Stack:${stack.stackId} is in ${stack.status} state and can not be updated.`,
      );
    }
    cs.executionStatus = 'EXECUTE_IN_PROGRESS';
    for (const other of this.changeSets.values()) {
      if (other !== cs && other.stackId === stack.stackId && other.executionStatus !== 'EXECUTE_COMPLETE') {
        other.executionStatus = 'OBSOLETE';
      }
    }
    const create = cs.type === 'CREATE';
    const prev = stack.state;
    this.stackStatus(stack, create ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS', 'User Initiated');
    stack.state = cs.next;
    if (!create) stack.lastUpdatedTime = new Date(this.clock.now());
    this.spawn(() => this.runStackOperation(stack, cs, prev));
    return {};
  }

  private async runStackOperation(
    stack: FakeStack,
    cs: FakeChangeSet,
    prev: StackState | undefined,
  ): Promise<void> {
    const create = cs.type === 'CREATE';
    try {
      this.resolveImports(stack, cs.next);
      await this.applyResources(stack, prev, cs.next);
      if (!create) {
        this.stackStatus(stack, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
        await this.clock.sleep(this.latencies.resource / 2);
        this.stackStatus(stack, 'UPDATE_COMPLETE');
      } else {
        this.stackKindCreated(stack);
        this.stackStatus(stack, 'CREATE_COMPLETE');
      }
      cs.executionStatus = 'EXECUTE_COMPLETE';
      this.changeSets.delete(cs.id);
    } catch (error) {
      const failure =
        error instanceof ResourceFailure ? error : new ResourceFailure('Unknown', String(error));
      cs.executionStatus = 'EXECUTE_FAILED';
      this.changeSets.delete(cs.id);
      // A failure of the stack itself (an import of a missing export) is the reason of the stack's rollback
      // event, as CloudFormation reports it: "No export named X found. Rollback requested by user." (Fn::ImportValue,
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-importvalue.html).
      const ofStack = failure.logicalId === stack.stackName;
      if (create) {
        this.stackStatus(
          stack,
          'ROLLBACK_IN_PROGRESS',
          ofStack
            ? failure.reason
            : `The following resource(s) failed to create: [${failure.logicalId}]. Rollback requested by user.`,
        );
        await this.destroyResources(stack, cs.next, true);
        stack.imports = [];
        this.stackStatus(stack, 'ROLLBACK_COMPLETE');
      } else {
        this.stackStatus(
          stack,
          'UPDATE_ROLLBACK_IN_PROGRESS',
          ofStack ? failure.reason : `The following resource(s) failed to update: [${failure.logicalId}].`,
        );
        stack.state = prev;
        try {
          await this.applyResources(stack, cs.next, prev!, true);
          this.stackStatus(stack, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
          this.stackStatus(stack, 'UPDATE_ROLLBACK_COMPLETE');
        } catch (rollbackError) {
          this.stackStatus(stack, 'UPDATE_ROLLBACK_FAILED', String((rollbackError as Error).message));
        }
      }
    }
  }

  private resolveImports(stack: FakeStack, state: StackState): void {
    const imports: string[] = [];
    for (const imp of state.info.imports) {
      const stackName = state.parameters[imp.stackParameter];
      if (!stackName) continue;
      const name = `${stackName}:${imp.key}`;
      if (!this.exports.has(name))
        throw new ResourceFailure(
          stack.stackName,
          `No export named ${name} found. Rollback requested by user.`,
        );
      imports.push(name);
    }
    stack.imports = imports;
  }

  private exportValue(name: string): string | undefined {
    return this.exports.get(name)?.value;
  }

  /** Creates, updates and deletes resources from `prev` to `next`, in dependency order. */
  private async applyResources(
    stack: FakeStack,
    prev: StackState | undefined,
    next: StackState,
    rollingBack = false,
  ): Promise<void> {
    const replaced = new Set<string>();
    for (const logicalId of creationOrder(next.info)) {
      const r = next.info.resources.get(logicalId)!;
      const existing = stack.resources.get(logicalId);
      const changed =
        !prev?.info.resources.has(logicalId) ||
        r.parameters.some((p) => prev.parameters[p] !== next.parameters[p]) ||
        r.dependsOn.some((d) => replaced.has(d));
      if (existing && !changed) continue;
      const verb = existing ? 'UPDATE' : 'CREATE';
      const handler = this.resourceHandler(r.type);
      this.event(stack, logicalId, r.type, `${verb}_IN_PROGRESS`, existing?.physicalId ?? '');
      try {
        this.authorizeHandler(stack, next, r, existing ? 'update' : 'create', existing?.physicalId);
        const physicalId = await handler.apply(stack, next.parameters, r, existing?.physicalId, rollingBack);
        if (existing && physicalId !== existing.physicalId) replaced.add(logicalId);
        stack.resources.set(logicalId, {
          logicalId,
          type: r.type,
          physicalId,
          status: `${verb}_COMPLETE`,
          timestamp: new Date(this.clock.now()),
        });
        this.event(stack, logicalId, r.type, `${verb}_COMPLETE`, physicalId);
      } catch (error) {
        const reason = error instanceof ResourceFailure ? error.reason : String(error);
        const created = error instanceof ResourceFailure ? error.physicalId : undefined;
        if (!existing && created) {
          // CloudFormation owns what it created, even when the create failed: rollback deletes it.
          stack.resources.set(logicalId, {
            logicalId,
            type: r.type,
            physicalId: created,
            status: `${verb}_FAILED`,
            timestamp: new Date(this.clock.now()),
          });
        }
        this.event(stack, logicalId, r.type, `${verb}_FAILED`, existing?.physicalId ?? created ?? '', reason);
        throw new ResourceFailure(logicalId, reason);
      }
    }
    if (prev) {
      for (const logicalId of deletionOrder(prev.info)) {
        if (next.info.resources.has(logicalId)) continue;
        await this.deleteResource(stack, logicalId, prev, next.roleArn);
      }
    }
  }

  private async deleteResource(
    stack: FakeStack,
    logicalId: string,
    state: StackState | undefined = stack.state,
    roleArn: string | undefined = stack.state?.roleArn,
  ): Promise<void> {
    const res = stack.resources.get(logicalId);
    if (!res) return;
    this.event(stack, logicalId, res.type, 'DELETE_IN_PROGRESS', res.physicalId);
    try {
      const written = state?.info.resources.get(logicalId);
      if (state && written)
        this.authorizeHandler(
          stack,
          { ...state, ...(roleArn ? { roleArn } : {}) },
          written,
          'delete',
          res.physicalId,
        );
      await this.resourceHandler(res.type).delete(stack, res.physicalId);
    } catch (error) {
      const reason = error instanceof ResourceFailure ? error.reason : String(error);
      this.event(stack, logicalId, res.type, 'DELETE_FAILED', res.physicalId, reason);
      throw new ResourceFailure(logicalId, reason);
    }
    stack.resources.delete(logicalId);
    this.event(stack, logicalId, res.type, 'DELETE_COMPLETE', res.physicalId);
  }

  /** Deletes every resource of the stack, dependents first (the template's dependency order). */
  private async destroyResources(
    stack: FakeStack,
    state: StackState | undefined,
    quiet = false,
  ): Promise<void> {
    const order = state ? deletionOrder(state.info) : [...stack.resources.keys()].reverse();
    for (const logicalId of order) {
      try {
        await this.deleteResource(stack, logicalId);
      } catch (error) {
        if (!quiet) throw error;
      }
    }
  }

  private deleteStack(input: Record<string, unknown>) {
    const name = input.StackName as string;
    const stack = this.liveStack(name);
    if (!stack || stack.status === 'DELETE_COMPLETE') return {};
    if (stack.terminationProtection) {
      throw new FakeAwsError(
        'ValidationError',
        `Stack [${stack.stackName}] cannot be deleted while TerminationProtection is enabled`,
      );
    }
    if (stack.status === 'DELETE_IN_PROGRESS') return {};
    if (stack.status.endsWith('_IN_PROGRESS') && stack.status !== 'REVIEW_IN_PROGRESS') {
      throw new FakeAwsError(
        'ValidationError',
        `Stack [${stack.stackName}] cannot be deleted while in status ${stack.status}`,
      );
    }
    const inUse = Object.keys(stack.exports).flatMap((exp) =>
      [...this.stacks.values()]
        .filter((s) => s !== stack && s.status !== 'DELETE_COMPLETE' && s.imports.includes(exp))
        .map((s) => `Export ${exp} cannot be deleted as it is in use by ${s.stackName}`),
    );
    this.stackStatus(stack, 'DELETE_IN_PROGRESS', 'User Initiated');
    this.spawn(async () => {
      if (inUse.length > 0) {
        await this.clock.sleep(this.latencies.resource);
        this.stackStatus(stack, 'DELETE_FAILED', inUse.join(' and '));
        return;
      }
      if (stack.state === undefined) {
        this.finishDelete(stack);
        return;
      }
      try {
        await this.destroyResources(stack, stack.state);
      } catch (error) {
        this.stackStatus(
          stack,
          'DELETE_FAILED',
          `The following resource(s) failed to delete: [${(error as ResourceFailure).logicalId}]. `,
        );
        return;
      }
      this.stackKindDeleted(stack);
      this.finishDelete(stack);
    });
    return {};
  }

  private finishDelete(stack: FakeStack): void {
    for (const exp of Object.keys(stack.exports)) this.exports.delete(exp);
    stack.exports = {};
    stack.imports = [];
    stack.deletionTime = new Date(this.clock.now());
    this.stackStatus(stack, 'DELETE_COMPLETE');
    for (const [id, cs] of this.changeSets) if (cs.stackId === stack.stackId) this.changeSets.delete(id);
  }

  private listExports(input: Record<string, unknown>) {
    const all = [...this.exports.entries()];
    const start = Number((input.NextToken as string | undefined) ?? 0);
    const page = all.slice(start, start + 20);
    return {
      Exports: page.map(([Name, e]) => ({ Name, Value: e.value, ExportingStackId: e.stackId })),
      ...(start + 20 < all.length ? { NextToken: String(start + 20) } : {}),
    };
  }

  private updateTerminationProtection(input: Record<string, unknown>) {
    const s = this.requireStack(input.StackName as string);
    s.terminationProtection = Boolean(input.EnableTerminationProtection);
    return { StackId: s.stackId };
  }

  private setExports(stack: FakeStack, values: Record<string, string>): void {
    for (const [key, value] of Object.entries(values)) {
      const name = exportName(stack.stackName, key);
      const owner = this.exports.get(name);
      if (owner && owner.stackId !== stack.stackId) {
        throw new ResourceFailure(
          stack.stackName,
          `Export with name ${name} is already exported by stack ${owner.stackName}`,
        );
      }
      this.exports.set(name, { value, stackId: stack.stackId, stackName: stack.stackName });
      stack.exports[name] = value;
      stack.outputs[key] = value;
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Shared stacks, recognised by core's names: what they create and export
  // ---------------------------------------------------------------------------------------------------------

  private stackKindCreated(stack: FakeStack): void {
    const p = stack.state?.parameters ?? {};
    const name = stack.stackName;
    const serviceEnv = (prefix: string) => {
      const rest = name.slice(prefix.length);
      const dash = rest.lastIndexOf('-');
      return { service: rest.slice(0, dash), env: rest.slice(dash + 1) };
    };
    if (name.startsWith('infra-network-')) {
      this.setExports(stack, {
        VpcId: p.VpcId ?? 'vpc-0fake',
        PrivateSubnets: p.PrivateSubnets ?? 'subnet-a,subnet-b',
        PublicSubnets: p.PublicSubnets ?? 'subnet-c,subnet-d',
        SecurityGroups: 'sg-0fake',
      });
    } else if (name.startsWith('infra-namespace-')) {
      const cluster = p.ClusterName ?? name.slice('infra-namespace-'.length);
      this.clusters.add(cluster);
      this.effect('create-cluster', cluster);
      this.setExports(stack, {
        NamespaceId: `ns-${this.id()}`,
        NamespaceName: p.NamespaceName ?? `${name.slice('infra-namespace-'.length)}.local`,
        ClusterName: cluster,
        ClusterArn: `arn:aws:ecs:${this.region}:${this.account}:cluster/${cluster}`,
      });
    } else if (name.startsWith('boot-sd-')) {
      const { service } = serviceEnv('boot-sd-');
      const id = `srv-${this.id()}`;
      const arn = `arn:aws:servicediscovery:${this.region}:${this.account}:service/${id}`;
      const env = serviceEnv('boot-sd-').env;
      this.cloudMap.set(id, {
        id,
        arn,
        name: service,
        namespace: `${env}.local`,
        instances: new Map(),
        health: new Map(),
      });
      this.setExports(stack, { CloudMapServiceId: id, CloudMapServiceArn: arn });
    } else if (name.startsWith('boot-log-')) {
      const { service, env } = serviceEnv('boot-log-');
      this.setExports(stack, { LogGroupName: `/ecs/${env}/${service}` });
      this.logs.createGroup(`/ecs/${env}/${service}`);
    } else if (name.startsWith('boot-ecr-')) {
      const { service, env } = serviceEnv('boot-ecr-');
      this.setExports(stack, {
        RepositoryUri: `${this.account}.dkr.ecr.${this.region}.amazonaws.com/${service}-${env}`,
        RepositoryName: `${service}-${env}`,
      });
    } else if (name.startsWith('boot-alb-')) {
      const { service, env } = serviceEnv('boot-alb-');
      const lbName = p.LoadBalancerName ?? `${service}-${env}-alb`;
      const lbArn = `arn:aws:elasticloadbalancing:${this.region}:${this.account}:loadbalancer/app/${lbName}/${this.id()}`;
      const dns = `${lbName}-${this.id().slice(0, 8)}.${this.region}.elb.amazonaws.com`;
      this.loadBalancers.set(lbArn, { arn: lbArn, name: lbName, dns });
      const tg = this.createTargetGroup(p.DefaultTargetGroupName ?? `${service}-${env}-default-tg`);
      const listenerArn = `arn:aws:elasticloadbalancing:${this.region}:${this.account}:listener/app/${lbName}/${this.id()}`;
      this.listeners.set(listenerArn, {
        arn: listenerArn,
        loadBalancerArn: lbArn,
        port: 80,
        defaultTargetGroupArn: tg.arn,
        rules: [],
      });
      this.setExports(stack, {
        LoadBalancerArn: lbArn,
        LoadBalancerDnsName: dns,
        ListenerArn: listenerArn,
        DefaultTargetGroupArn: tg.arn,
        ServiceSecurityGroupId: 'sg-0service',
        LoadBalancerFullName: lbArn.slice(lbArn.indexOf(':loadbalancer/') + ':loadbalancer/'.length),
        DefaultTargetGroupFullName: tg.arn.slice(tg.arn.indexOf(':targetgroup/') + 1),
      });
    }
    if (p.PipelineName) {
      this.pipelines.set(p.PipelineName, {
        name: p.PipelineName,
        executionMode: (p.ExecutionMode as FakePipeline['executionMode']) ?? 'PARALLEL',
        variables:
          p.PipelineVariables !== undefined
            ? p.PipelineVariables.split(',')
                .filter(Boolean)
                .map((n) => {
                  // `name=default` declares a default value.
                  const [name, defaultValue] = n.split('=');
                  return defaultValue === undefined ? { name: name! } : { name: name!, defaultValue };
                })
            : [{ name: 'lane' }, { name: 'branch', defaultValue: 'main' }],
        stages: (p.PipelineStages ?? 'Source,Build,Deploy,Verify').split(','),
      });
      this.effect('create-pipeline', p.PipelineName);
    }
  }

  private stackKindDeleted(stack: FakeStack): void {
    const p = stack.state?.parameters ?? {};
    if (stack.stackName.startsWith('boot-alb-')) {
      const lbArn = stack.exports[exportName(stack.stackName, 'LoadBalancerArn')];
      for (const [arn, l] of this.listeners) if (l.loadBalancerArn === lbArn) this.listeners.delete(arn);
      if (lbArn) this.loadBalancers.delete(lbArn);
      const tg = stack.exports[exportName(stack.stackName, 'DefaultTargetGroupArn')];
      if (tg) this.targetGroups.delete(tg);
    }
    if (stack.stackName.startsWith('boot-sd-')) {
      const id = stack.exports[exportName(stack.stackName, 'CloudMapServiceId')];
      if (id) this.cloudMap.delete(id);
    }
    if (p.PipelineName) this.pipelines.delete(p.PipelineName);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Lane stack resources: core's parameter contract, per resource type
  // ---------------------------------------------------------------------------------------------------------

  private resourceHandler(type: string): {
    apply: (
      stack: FakeStack,
      params: Record<string, string>,
      resource: TemplateResource,
      physicalId: string | undefined,
      rollingBack: boolean,
    ) => Promise<string>;
    delete: (stack: FakeStack, physicalId: string) => Promise<void>;
  } {
    switch (type) {
      case 'AWS::ElasticLoadBalancingV2::TargetGroup':
        return {
          apply: async (_stack, params, resource, physicalId) => {
            await this.clock.sleep(this.latencies.resource);
            if (physicalId) return physicalId;
            const name = resolveValue(resource.properties.Name, params) ?? `tg-${this.id()}`;
            if ([...this.targetGroups.values()].some((t) => t.name === name)) {
              throw new ResourceFailure(
                'TargetGroup',
                `A target group with the same name '${name}' exists, but with different settings`,
              );
            }
            return this.createTargetGroup(name).arn;
          },
          delete: async (_stack, arn) => {
            await this.clock.sleep(this.latencies.resource);
            const user = [...this.listeners.values()].some((l) =>
              l.rules.some((r) => r.forward.some((g) => g.targetGroupArn === arn)),
            );
            if (user)
              throw new ResourceFailure(
                'TargetGroup',
                `Target group '${arn}' is currently in use by a listener or a rule`,
              );
            const tg = this.targetGroups.get(arn);
            this.targetGroups.delete(arn);
            this.effect('delete-tg', tg?.name ?? arn);
          },
        };
      case 'AWS::ECS::TaskDefinition':
        return {
          apply: async (_stack, params, resource) => {
            await this.clock.sleep(this.latencies.resource / 2);
            const container = containerOf(resource.properties, params);
            const family = params.TaskFamily ?? 'task';
            const containers = resource.properties.ContainerDefinitions;
            const hasHealthCheck =
              Array.isArray(containers) &&
              containers.some((c) => (c as Record<string, unknown>).HealthCheck !== undefined);
            const revisions = this.taskDefinitions.get(family) ?? [];
            const revision = (revisions.at(-1)?.revision ?? 0) + 1;
            const arn = `arn:aws:ecs:${this.region}:${this.account}:task-definition/${family}:${revision}`;
            revisions.push({
              family,
              revision,
              arn,
              image: params.ImageUri ?? 'image',
              lane: params.LaneName ?? '',
              status: 'ACTIVE',
              ...container,
              hasHealthCheck,
            });
            this.taskDefinitions.set(family, revisions);
            return arn;
          },
          delete: async (_stack, arn) => {
            const td = this.taskDefinitionByArn(arn);
            if (td) td.status = 'INACTIVE';
          },
        };
      case 'AWS::ECS::Service':
        return {
          apply: (stack, params, resource, physicalId, rollingBack) =>
            this.applyEcsService(stack, params, physicalId, rollingBack, resource),
          delete: (_stack, arn) => this.deleteEcsService(arn),
        };
      case 'AWS::ElasticLoadBalancingV2::ListenerRule':
        return {
          apply: (stack, params, resource, physicalId) => this.applyRule(stack, params, resource, physicalId),
          delete: async (_stack, arn) => {
            await this.clock.sleep(this.latencies.resource / 2);
            for (const l of this.listeners.values()) l.rules = l.rules.filter((r) => r.arn !== arn);
            this.effect('delete-rule', arn);
          },
        };
      case 'AWS::CloudWatch::Alarm':
        return {
          apply: async (stack, params, resource, physicalId) => {
            await this.clock.sleep(this.latencies.api);
            if (physicalId) return physicalId;
            const name =
              resolveValue(resource.properties.AlarmName, params) ??
              `${params.AlarmPrefix ?? stack.stackName}-${this.id().slice(0, 4)}`;
            this.alarms.set(name, { name, state: 'OK' });
            return name;
          },
          delete: async (_stack, name) => {
            this.alarms.delete(name);
          },
        };
      default:
        return {
          apply: async (stack, _params, resource, physicalId) => {
            await this.clock.sleep(this.latencies.api);
            // A resource without a name property gets CloudFormation's generated name, {stack}-{logicalId}-{suffix}
            // (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html).
            return physicalId ?? generatedName(stack.stackName, resource.logicalId);
          },
          delete: async () => {
            await this.clock.sleep(this.latencies.api);
          },
        };
    }
  }

  private createTargetGroup(name: string): FakeTargetGroup {
    const arn = `arn:aws:elasticloadbalancing:${this.region}:${this.account}:targetgroup/${name}/${this.id()}`;
    const tg = { arn, name, targets: new Map<string, string>() };
    this.targetGroups.set(arn, tg);
    this.effect('create-tg', name);
    return tg;
  }

  private taskDefinitionByArn(arn: string): FakeTaskDefinition | undefined {
    const family = arn.slice(arn.lastIndexOf('/') + 1, arn.lastIndexOf(':'));
    return this.taskDefinitions.get(family)?.find((t) => t.arn === arn);
  }

  private laneTaskDefinition(stack: FakeStack): string | undefined {
    return [...stack.resources.values()].find((r) => r.type === 'AWS::ECS::TaskDefinition')?.physicalId;
  }

  private laneTargetGroup(stack: FakeStack, params: Record<string, string>): string | undefined {
    if (params.IsBaseline === 'true') return this.exportValue(`${params.AlbStackName}:DefaultTargetGroupArn`);
    return [...stack.resources.values()].find(
      (r) =>
        r.type === 'AWS::ElasticLoadBalancingV2::TargetGroup' &&
        this.targetGroups.get(r.physicalId)?.name === params.TargetGroupName,
    )?.physicalId;
  }

  private isBadImage(image: string): boolean {
    return this.badImages.has(image) || this.badImages.has(image.slice(image.lastIndexOf(':') + 1));
  }

  /** How the stack's resource properties resolve (parameters, conditions, resources, imports). */
  private scopeOf(stack: FakeStack, params: Record<string, string>): ResolveScope {
    const info = stack.state?.info;
    return {
      params,
      conditions: info ? evaluateConditions(info, params) : new Map(),
      resource: (id) => stack.resources.get(id)?.physicalId,
      importValue: (name) => this.exportValue(name),
      region: this.region,
    };
  }

  /** True when a listener's default action or a rule's forward action (any weight) names the target group. */
  private targetGroupInUse(arn: string): boolean {
    return [...this.listeners.values()].some(
      (l) =>
        l.defaultTargetGroupArn === arn ||
        l.rules.some((r) => r.forward.some((g) => g.targetGroupArn === arn)),
    );
  }

  private async applyEcsService(
    stack: FakeStack,
    params: Record<string, string>,
    physicalId: string | undefined,
    rollingBack: boolean,
    resource: TemplateResource,
  ): Promise<string> {
    const cluster = params.ClusterName ?? 'default';
    if (!this.clusters.has(cluster))
      throw new ResourceFailure(
        'Service',
        `Resource handler returned message: "Cluster not found." (HandlerErrorCode: NotFound)`,
      );
    const name = params.EcsServiceName ?? stack.stackName;
    const key = `${cluster}/${name}`;
    let svc = this.ecsServices.get(key);
    const taskDefinition = this.laneTaskDefinition(stack);
    if (!taskDefinition) throw new ResourceFailure('Service', 'no task definition in the stack');
    const desired = Number(params.DesiredCount ?? 1);
    if (svc && svc.status === 'ACTIVE' && !physicalId) {
      throw new ResourceFailure(
        'Service',
        `Resource handler returned message: "Creation of service was not idempotent." (HandlerErrorCode: InvalidRequest)`,
      );
    }
    const scope = this.scopeOf(stack, params);
    const props = resolveProperty(resource.properties, scope) as Record<string, unknown>;
    const invalid = (message: string) =>
      new ResourceFailure(
        'Service',
        `Resource handler returned message: "Invalid request provided: ${message}" (HandlerErrorCode: InvalidRequest)`,
      );
    const lb = (props.LoadBalancers as Record<string, unknown>[] | undefined)?.[0];
    const advanced = lb?.AdvancedConfiguration as Record<string, unknown> | undefined;
    // CreateService: "The target group with targetGroupArn ... does not have an associated load balancer"
    // unless a listener or a rule forwards to it (a forward with weight 0 associates it too). The error as
    // ECS returns it: aws-cdk#1160 (https://github.com/aws/aws-cdk/issues/1160); the ALB guide attaches the
    // target group to a listener before the service:
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb.html
    for (const tg of [lb?.TargetGroupArn, advanced?.AlternateTargetGroupArn]) {
      if (typeof tg === 'string' && !this.targetGroupInUse(tg)) {
        throw invalid(
          `The target group with targetGroupArn ${tg} does not have an associated load balancer.`,
        );
      }
    }
    // Service Connect names: discoveryName up to 64 characters, each dnsName label up to 63.
    // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceConnectService.html
    const connect = props.ServiceConnectConfiguration as
      | { Services?: { DiscoveryName?: string; ClientAliases?: { DnsName?: string }[] }[] }
      | undefined;
    for (const sc of connect?.Services ?? []) {
      const problem =
        checkAwsName(SERVICE_CONNECT_NAME_RULES.discoveryName, sc.DiscoveryName ?? '') ??
        (sc.ClientAliases ?? []).map((a) => checkServiceConnectDnsName(a.DnsName ?? '')).find(Boolean);
      if (sc.DiscoveryName !== undefined && problem) throw invalid(problem);
    }
    // ServiceRegistries: containerName/containerPort or port, not both.
    // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceRegistry.html
    const registry = (props.ServiceRegistries as Record<string, unknown>[] | undefined)?.[0];
    if (registry?.Port !== undefined && registry.ContainerPort !== undefined) {
      throw invalid(
        'You cannot specify both a port and a containerName/containerPort for a service registry.',
      );
    }
    const registryPort = registry?.ContainerPort ?? registry?.Port;
    if (svc?.status !== 'ACTIVE') {
      svc = {
        cluster,
        name,
        arn: `arn:aws:ecs:${this.region}:${this.account}:service/${cluster}/${name}`,
        status: 'ACTIVE',
        desiredCount: desired,
        deployments: [],
        events: [],
        servingByTg: new Map(),
        port: Number(params.ContainerPort ?? 8080),
        createdAt: new Date(this.clock.now()),
      };
      const tg =
        typeof lb?.TargetGroupArn === 'string' ? lb.TargetGroupArn : this.laneTargetGroup(stack, params);
      if (tg) svc.targetGroupArn = tg;
      const sd = this.exportValue(`${params.SdStackName}:CloudMapServiceId`);
      if (sd) svc.cloudMapServiceId = sd;
      this.ecsServices.set(key, svc);
      this.effect('create-service', name);
    }
    svc.registryPort = registryPort === undefined ? undefined : Number(registryPort);
    svc.desiredCount = desired;
    if (svc.serving === taskDefinition) return svc.arn;
    for (const d of svc.deployments) if (d.status === 'PRIMARY') d.status = 'ACTIVE';
    const deployment: FakeDeployment = {
      id: `ecs-svc/${this.id()}`,
      status: 'PRIMARY',
      taskDefinition,
      rolloutState: 'IN_PROGRESS',
      desiredCount: desired,
      runningCount: 0,
      createdAt: new Date(this.clock.now()),
    };
    svc.deployments.unshift(deployment);
    await this.clock.sleep(this.latencies.rollout);
    const image = this.taskDefinitionByArn(taskDefinition)?.image ?? '';
    const fail = (reason: string, message: string) => {
      deployment.rolloutState = 'FAILED';
      deployment.rolloutStateReason = reason;
      deployment.status = 'INACTIVE';
      svc.events.unshift({
        message: `(service ${name}) deployment ${deployment.id} deployment failed: ${reason}`,
        createdAt: new Date(this.clock.now()),
      });
      const previous = svc.deployments.find((d) => d !== deployment && d.rolloutState === 'COMPLETED');
      if (previous) previous.status = 'PRIMARY';
      svc.deployments = svc.deployments.filter((d) => d !== deployment);
      return new ResourceFailure(
        'Service',
        `Resource handler returned message: "${message}" (RequestToken: ${this.id()}, HandlerErrorCode: GeneralServiceException)`,
        svc.arn,
      );
    };
    if (this.isBadImage(image) && !rollingBack) {
      // The circuit breaker rolls back to the last completed deployment, which keeps serving.
      this.effect('circuit-breaker', name);
      throw fail(
        'ECS deployment circuit breaker: tasks failed to start.',
        "Error occurred during operation 'ECS Deployment Circuit Breaker was triggered'.",
      );
    }
    const strategy = (props.DeploymentConfiguration as Record<string, unknown> | undefined)?.Strategy;
    if (strategy === 'BLUE_GREEN' && svc.serving && advanced && svc.targetGroupArn) {
      const outcome = await this.blueGreen(stack, svc, taskDefinition, props, advanced, scope);
      if (outcome.status === 'FAILED') throw fail(outcome.reason, outcome.reason);
    } else {
      this.registerTasks(svc, taskDefinition);
    }
    deployment.rolloutState = 'COMPLETED';
    deployment.runningCount = desired;
    svc.deployments = [deployment];
    svc.serving = taskDefinition;
    this.effect('service-stable', `${name}@${image}`);
    return svc.arn;
  }

  /** An ECS-native blue/green deployment of `svc` to `taskDefinition` (see ecs-blue-green.ts). */
  private async blueGreen(
    stack: FakeStack,
    svc: FakeEcsService,
    taskDefinition: string,
    props: Record<string, unknown>,
    advanced: Record<string, unknown>,
    scope: ResolveScope,
  ) {
    const ruleByArn = (arn: string) =>
      [...this.listeners.values()].flatMap((l) => l.rules).find((r) => r.arn === arn);
    const config = props.DeploymentConfiguration as Record<string, unknown>;
    const hookSpec = (config.LifecycleHooks as Record<string, unknown>[] | undefined)?.find((h) =>
      (h.LifecycleStages as string[] | undefined)?.includes('POST_TEST_TRAFFIC_SHIFT'),
    );
    const hookId = (hookSpec?.HookTargetArn as { 'Fn::GetAtt'?: [string, string] } | undefined)?.[
      'Fn::GetAtt'
    ]?.[0];
    const hookResource = hookId ? stack.state?.info.resources.get(hookId) : undefined;
    const hookProps = hookResource
      ? (resolveProperty(hookResource.properties, scope) as Record<string, unknown>)
      : undefined;
    const code = (hookProps?.Code as { ZipFile?: string } | undefined)?.ZipFile;
    const environment = (hookProps?.Environment as { Variables?: Record<string, string> } | undefined)
      ?.Variables;
    const outcome = await runBlueGreen(
      {
        forwardOf: (arn) => ruleByArn(arn)?.forward ?? [],
        setForward: (arn, forward) => {
          const rule = ruleByArn(arn);
          if (!rule) return;
          rule.forward = forward.map((g) => ({ ...g }));
          rule.targetGroupArn = liveTargetGroup(rule.forward) ?? '';
        },
        startTasks: (tg) => this.registerTasks(svc, taskDefinition, tg),
        stopTasks: (tg) => {
          const group = this.targetGroups.get(tg);
          if (group)
            for (const [id] of group.targets) if (id.startsWith(`${svc.name}/`)) group.targets.delete(id);
          svc.servingByTg.delete(tg);
        },
        // The hook's own requests, recorded with where the listener sent them (what it really tested).
        fetch: (url, init) => {
          this.effect(
            'hook-request',
            `${svc.name}:${this.route(url, init?.headers)?.targetGroupName ?? '?'}`,
          );
          return this.fetch(url, init);
        },
        sleep: (ms) => this.clock.sleep(ms),
        effect: (what, name) => this.effect(what, name.replace(/arn:[^>]*targetgroup\/([^/]+)\/\w+/, '$1')),
      },
      {
        serviceName: svc.name,
        productionRuleArn: String(advanced.ProductionListenerRule),
        testRuleArn: String(advanced.TestListenerRule),
        targetGroups: [svc.targetGroupArn!, String(advanced.AlternateTargetGroupArn)],
        ...(code && environment ? { hook: { code, environment } } : {}),
        bakeMs: Number((config.BakeTimeInMinutes as string | undefined) ?? 0) * 60_000,
        hookRetryMs: 15_000,
      },
    );
    return outcome;
  }

  /** Starts the service's tasks of `taskDefinition` in `targetGroupArn` (its own by default) and in Cloud Map. */
  private registerTasks(
    svc: FakeEcsService,
    taskDefinition: string,
    targetGroupArn = svc.targetGroupArn,
  ): void {
    const tg = targetGroupArn ? this.targetGroups.get(targetGroupArn) : undefined;
    const ips = Array.from({ length: svc.desiredCount }, () => {
      const n = this.counter++;
      return `10.0.${(n >> 8) & 255}.${n & 255}`;
    });
    if (tg && targetGroupArn) {
      for (const [id] of tg.targets) if (id.startsWith(`${svc.name}/`)) tg.targets.delete(id);
      for (const ip of ips) tg.targets.set(`${svc.name}/${ip}`, 'healthy');
      svc.servingByTg.set(targetGroupArn, taskDefinition);
    }
    const sd = svc.cloudMapServiceId ? this.cloudMap.get(svc.cloudMapServiceId) : undefined;
    if (sd) {
      for (const [id, attrs] of sd.instances)
        if (attrs[ECS_SERVICE_NAME_ATTRIBUTE] === svc.name) {
          sd.instances.delete(id);
          sd.health.delete(id);
        }
      const td = this.taskDefinitionByArn(taskDefinition);
      ips.forEach((ip, i) => {
        const id = this.id('task-');
        const { attributes, health } = laneRegistration({
          ip,
          availabilityZone: `${this.region}${'ab'[i % 2]}`,
          region: this.region,
          serviceName: svc.name,
          clusterName: svc.cluster,
          taskDefinitionFamily: td?.family ?? '',
          ...(svc.registryPort !== undefined ? { port: svc.registryPort } : {}),
          healthCheck: td?.hasHealthCheck ?? false,
        });
        sd.instances.set(id, attributes);
        sd.health.set(id, health);
      });
    }
  }

  private async deleteEcsService(arn: string): Promise<void> {
    const svc = [...this.ecsServices.values()].find((s) => s.arn === arn);
    if (!svc) return;
    svc.status = 'DRAINING';
    svc.desiredCount = 0;
    const groups = [...svc.servingByTg.keys()]
      .map((a) => this.targetGroups.get(a))
      .filter((t) => t !== undefined);
    for (const tg of groups)
      for (const [id] of tg.targets) if (id.startsWith(`${svc.name}/`)) tg.targets.set(id, 'draining');
    await this.clock.sleep(this.latencies.drain);
    for (const tg of groups)
      for (const [id] of tg.targets) if (id.startsWith(`${svc.name}/`)) tg.targets.delete(id);
    const sd = svc.cloudMapServiceId ? this.cloudMap.get(svc.cloudMapServiceId) : undefined;
    if (sd)
      for (const [id, attrs] of sd.instances)
        if (attrs[ECS_SERVICE_NAME_ATTRIBUTE] === svc.name) {
          sd.instances.delete(id);
          sd.health.delete(id);
        }
    svc.status = 'INACTIVE';
    svc.serving = undefined;
    svc.servingByTg.clear();
    svc.deployments = [];
    this.ecsServices.delete(`${svc.cluster}/${svc.name}`);
    this.effect('delete-service', svc.name);
  }

  private async applyRule(
    stack: FakeStack,
    params: Record<string, string>,
    resource: TemplateResource,
    physicalId: string | undefined,
  ): Promise<string> {
    await this.clock.sleep(this.latencies.resource / 2);
    const listenerArn = this.exportValue(`${params.AlbStackName}:ListenerArn`);
    const listener = listenerArn ? this.listeners.get(listenerArn) : undefined;
    if (!listener)
      throw new ResourceFailure(
        'ListenerRule',
        `Resource handler returned message: "One or more listeners not found" (HandlerErrorCode: NotFound)`,
      );
    // The rule's own properties say which priority parameter, which conditions and which target groups.
    const priority = Number(resolveValue(resource.properties.Priority, params));
    const forward = forwardTargetGroups(resource.properties.Actions, this.scopeOf(stack, params));
    if (forward.length === 0 || forward.some((g) => !this.targetGroups.has(g.targetGroupArn)))
      throw new ResourceFailure('ListenerRule', 'the target group of the rule does not exist');
    const conditions = headerConditionsOf(resource.properties.Conditions, params);
    const clash = listener.rules.find((r) => r.priority === priority && r.arn !== physicalId);
    if (!Number.isInteger(priority) || priority < 1 || priority > 50_000 || clash) {
      throw new ResourceFailure(
        'ListenerRule',
        clash
          ? `Resource handler returned message: "Priority '${priority}' is currently in use (Service: ElasticLoadBalancingV2, Status Code: 400, Request ID: ${this.id()})" (RequestToken: ${this.id()}, HandlerErrorCode: AlreadyExists)`
          : `Resource handler returned message: "Priority must be between 1 and 50000" (HandlerErrorCode: InvalidRequest)`,
      );
    }
    const existing = physicalId ? listener.rules.find((r) => r.arn === physicalId) : undefined;
    const quota = ruleQuotaError(
      [...this.listeners.values()]
        .filter((l) => l.loadBalancerArn === listener.loadBalancerArn)
        .map((l) => ({
          defaultTargetGroupArns: [l.defaultTargetGroupArn],
          rules: l.rules.map((r) => ({ arn: r.arn, actions: [r.forward.map((g) => g.targetGroupArn)] })),
        })),
      {
        // Every group of every action counts, the lane's own even while its weight is 0.
        actions: actionTargetGroups(
          resolveProperty(resource.properties.Actions, this.scopeOf(stack, params)),
        ),
        ...(existing ? { replaces: existing.arn } : {}),
      },
      this.elbQuotas,
    );
    if (quota) {
      throw new ResourceFailure(
        'ListenerRule',
        `Resource handler returned message: "${quota.message} (Service: ElasticLoadBalancingV2, Status Code: 400, Request ID: ${this.id()})" (HandlerErrorCode: ServiceLimitExceeded) [${quota.code}]`,
      );
    }
    if (existing) {
      // An update rewrites the rule from the template: its priority through SetRulePriorities, its
      // conditions and actions through ModifyRule (whatever ECS had set is replaced).
      // https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_SetRulePriorities.html
      if (existing.priority !== priority)
        this.effect('set-rule-priorities', `${params.LaneName}@${priority}`);
      existing.priority = priority;
      existing.conditions = conditions;
      existing.forward = forward;
      existing.targetGroupArn = liveTargetGroup(forward) ?? '';
      this.effect(
        'modify-rule',
        `${params.LaneName}@${priority}:${this.targetGroups.get(existing.targetGroupArn)?.name ?? '-'}`,
      );
      return existing.arn;
    }
    const arn = `${listener.arn.replace(':listener/', ':listener-rule/')}/${this.id()}`;
    listener.rules.push({
      arn,
      priority,
      conditions,
      forward,
      targetGroupArn: liveTargetGroup(forward) ?? '',
    });
    this.effect('create-rule', `${params.LaneName}@${priority}`);
    return arn;
  }

  // ---------------------------------------------------------------------------------------------------------
  // ELBv2, ECS, Cloud Map, CloudWatch reads
  // ---------------------------------------------------------------------------------------------------------

  private describeRules(input: Record<string, unknown>) {
    const listener = this.listeners.get(input.ListenerArn as string);
    if (!listener) throw new FakeAwsError('ListenerNotFoundException', 'One or more listeners not found');
    const rules = [...listener.rules].sort((a, b) => a.priority - b.priority);
    return {
      Rules: [
        ...rules.map((r) => ({
          RuleArn: r.arn,
          Priority: String(r.priority),
          IsDefault: false,
          Conditions: r.conditions,
          // As ELB answers: a weighted forward carries ForwardConfig; a single group also TargetGroupArn.
          Actions: [
            {
              Type: 'forward',
              ...(r.forward.length === 1 ? { TargetGroupArn: r.forward[0]!.targetGroupArn } : {}),
              ForwardConfig: {
                TargetGroups: r.forward.map((g) => ({ TargetGroupArn: g.targetGroupArn, Weight: g.weight })),
              },
            },
          ],
        })),
        {
          RuleArn: `${listener.arn}/default`,
          Priority: 'default',
          IsDefault: true,
          Conditions: [],
          Actions: [{ Type: 'forward', TargetGroupArn: listener.defaultTargetGroupArn }],
        },
      ],
    };
  }

  private describeTargetGroups(input: Record<string, unknown>) {
    const names = (input.Names as string[] | undefined) ?? [];
    const found = names.map((n) => [...this.targetGroups.values()].find((t) => t.name === n));
    if (found.some((f) => !f))
      throw new FakeAwsError('TargetGroupNotFoundException', 'One or more target groups not found');
    return { TargetGroups: found.map((t) => ({ TargetGroupArn: t!.arn, TargetGroupName: t!.name })) };
  }

  private describeTargetHealth(input: Record<string, unknown>) {
    const tg = this.targetGroups.get(input.TargetGroupArn as string);
    if (!tg) throw new FakeAwsError('TargetGroupNotFoundException', 'One or more target groups not found');
    return {
      TargetHealthDescriptions: [...tg.targets].map(([id, state]) => ({
        Target: { Id: id.split('/')[1], Port: 8080 },
        TargetHealth: { State: state },
      })),
    };
  }

  private describeServices(input: Record<string, unknown>) {
    const cluster = input.cluster as string;
    const names = (input.services as string[] | undefined) ?? [];
    if (names.length > 10)
      throw new FakeAwsError('InvalidParameterException', 'services can have at most 10 items.');
    if (!this.clusters.has(cluster)) throw new FakeAwsError('ClusterNotFoundException', 'Cluster not found.');
    const services = names
      .map((n) => this.ecsServices.get(`${cluster}/${n}`))
      .filter((s): s is FakeEcsService => Boolean(s));
    return {
      services: services.map((s) => ({
        serviceName: s.name,
        serviceArn: s.arn,
        clusterArn: `arn:aws:ecs:${this.region}:${this.account}:cluster/${cluster}`,
        status: s.status,
        desiredCount: s.desiredCount,
        runningCount: s.serving ? s.desiredCount : 0,
        taskDefinition: s.serving,
        deployments: s.deployments.map((d) => ({
          id: d.id,
          status: d.status,
          taskDefinition: d.taskDefinition,
          desiredCount: d.desiredCount,
          runningCount: d.runningCount,
          rolloutState: d.rolloutState,
          ...(d.rolloutStateReason ? { rolloutStateReason: d.rolloutStateReason } : {}),
          createdAt: d.createdAt,
        })),
        events: s.events.map((e, i) => ({ id: String(i), message: e.message, createdAt: e.createdAt })),
        createdAt: s.createdAt,
      })),
      failures: names
        .filter((n) => !this.ecsServices.has(`${cluster}/${n}`))
        .map((n) => ({
          arn: `arn:aws:ecs:${this.region}:${this.account}:service/${cluster}/${n}`,
          reason: 'MISSING',
        })),
    };
  }

  private listInstances(input: Record<string, unknown>) {
    const sd = this.cloudMap.get(input.ServiceId as string);
    if (!sd) throw new FakeAwsError('ServiceNotFound', `Service not found: ${String(input.ServiceId)}`);
    return { Instances: [...sd.instances].map(([Id, Attributes]) => ({ Id, Attributes })) };
  }

  /**
   * DiscoverInstances: by namespace name and service name, filtered by `HealthStatus` (HEALTHY by default;
   * ALL; HEALTHY_OR_ELSE_ALL returns every instance when none is healthy).
   * https://docs.aws.amazon.com/cloud-map/latest/api/API_DiscoverInstances.html
   */
  private discoverInstances(input: Record<string, unknown>) {
    const sd = [...this.cloudMap.values()].find(
      (s) => s.name === input.ServiceName && s.namespace === input.NamespaceName,
    );
    if (!sd)
      throw new FakeAwsError('NamespaceNotFound', `Namespace not found: ${String(input.NamespaceName)}`);
    const all = [...sd.instances].map(([InstanceId, Attributes]) => ({
      InstanceId,
      NamespaceName: sd.namespace,
      ServiceName: sd.name,
      HealthStatus: sd.health.get(InstanceId) ?? 'UNKNOWN',
      Attributes,
    }));
    const filter = (input.HealthStatus as string | undefined) ?? 'HEALTHY';
    const healthy = all.filter((i) => i.HealthStatus === 'HEALTHY');
    const Instances =
      filter === 'ALL' ? all : filter === 'HEALTHY_OR_ELSE_ALL' ? (healthy.length ? healthy : all) : healthy;
    return { Instances };
  }

  private describeAlarms(input: Record<string, unknown>) {
    const prefix = (input.AlarmNamePrefix as string | undefined) ?? '';
    return {
      MetricAlarms: [...this.alarms.values()]
        .filter((a) => a.name.startsWith(prefix))
        .map((a) => ({ AlarmName: a.name, StateValue: a.state })),
    };
  }

  // ---------------------------------------------------------------------------------------------------------
  // CodePipeline V2
  // ---------------------------------------------------------------------------------------------------------

  private requirePipeline(name: string): FakePipeline {
    const p = this.pipelines.get(name);
    if (!p)
      throw new FakeAwsError(
        'PipelineNotFoundException',
        `Account '${this.account}' does not have a pipeline with name '${name}'`,
      );
    return p;
  }

  private getPipeline(input: Record<string, unknown>) {
    const p = this.requirePipeline(input.name as string);
    return {
      pipeline: {
        name: p.name,
        pipelineType: 'V2',
        executionMode: p.executionMode,
        variables: p.variables,
        stages: p.stages.map((s) => ({
          name: s,
          actions: [
            {
              name: s,
              actionTypeId: {
                category: s === 'Source' ? 'Source' : 'Build',
                owner: 'AWS',
                provider: s === 'Source' ? 'CodeStarSourceConnection' : 'CodeBuild',
                version: '1',
              },
            },
          ],
        })),
        version: 1,
      },
    };
  }

  private startPipelineExecution(input: Record<string, unknown>) {
    const p = this.requirePipeline(input.name as string);
    const given = (input.variables as { name: string; value: string }[] | undefined) ?? [];
    const variables: Record<string, string> = {};
    for (const v of p.variables) if (v.defaultValue !== undefined) variables[v.name] = v.defaultValue;
    for (const v of given) {
      if (!p.variables.some((d) => d.name === v.name)) {
        throw new FakeAwsError(
          'ValidationException',
          `Pipeline variable '${v.name}' is not declared in pipeline ${p.name}`,
        );
      }
      variables[v.name] = v.value;
    }
    // SourceRevisionOverride: a revision type the API knows, for a source action of the pipeline
    // (https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_SourceRevisionOverride.html).
    const sourceRevisions: Record<string, string> = {};
    for (const r of (input.sourceRevisions as
      | { actionName: string; revisionType: string; revisionValue: string }[]
      | undefined) ?? []) {
      if (!['COMMIT_ID', 'IMAGE_DIGEST', 'S3_OBJECT_VERSION_ID', 'S3_OBJECT_KEY'].includes(r.revisionType)) {
        throw new FakeAwsError('ValidationException', `Invalid revisionType ${r.revisionType}`);
      }
      sourceRevisions[r.actionName] = r.revisionValue;
    }
    const missing = p.variables.filter((v) => variables[v.name] === undefined).map((v) => v.name);
    if (missing.length)
      throw new FakeAwsError(
        'ValidationException',
        `Pipeline variables [${missing.join(', ')}] have no value`,
      );
    const execution: FakeExecution = {
      id: `${this.id()}-${this.id().slice(0, 4)}`,
      pipelineName: p.name,
      status: 'InProgress',
      variables,
      sourceRevisions,
      startTime: new Date(this.clock.now()),
      lastUpdateTime: new Date(this.clock.now()),
      actions: [],
    };
    if (p.executionMode === 'SUPERSEDED') {
      for (const e of this.executions.values())
        if (e.pipelineName === p.name && e.status === 'InProgress') e.status = 'Superseded';
    }
    this.executions.set(execution.id, execution);
    this.spawn(() => this.runExecution(p, execution));
    return { pipelineExecutionId: execution.id };
  }

  private async runExecution(p: FakePipeline, execution: FakeExecution): Promise<void> {
    let imageUri: string | undefined;
    for (const stage of p.stages) {
      if (execution.status !== 'InProgress') return;
      const action: FakeActionExecution = {
        actionExecutionId: this.id('act-'),
        pipelineExecutionId: execution.id,
        stageName: stage,
        actionName: stage,
        status: 'InProgress',
        startTime: new Date(this.clock.now()),
        lastUpdateTime: new Date(this.clock.now()),
      };
      execution.actions.push(action);
      const run: PipelineRun = {
        pipelineName: p.name,
        executionId: execution.id,
        variables: execution.variables,
        sourceRevisions: execution.sourceRevisions,
        ...(imageUri ? { imageUri } : {}),
      };
      try {
        await this.clock.sleep(this.latencies.stage);
        if (stage === 'Source') action.summary = `branch ${execution.variables.branch ?? '?'}`;
        else if (stage === 'Build') {
          imageUri = await (this.runner.build?.(run) ?? Promise.resolve(`image:${execution.id.slice(0, 7)}`));
          action.summary = `pushed ${imageUri}`;
        } else if (stage === 'Deploy') action.summary = (await this.runner.deploy?.(run)) ?? 'deployed';
        else if (stage === 'Verify') action.summary = (await this.runner.verify?.(run)) ?? 'verified';
        action.status = 'Succeeded';
      } catch (error) {
        action.status = 'Failed';
        action.summary = (error as Error).message;
        execution.status = 'Failed';
        execution.statusSummary = `${stage} failed`;
      }
      action.lastUpdateTime = new Date(this.clock.now());
      execution.lastUpdateTime = new Date(this.clock.now());
      if (action.status === 'Failed') return;
    }
    if (execution.status === 'InProgress') execution.status = 'Succeeded';
  }

  private requireExecution(input: Record<string, unknown>): FakeExecution {
    this.requirePipeline(input.pipelineName as string);
    const e = this.executions.get(input.pipelineExecutionId as string);
    if (!e)
      throw new FakeAwsError(
        'PipelineExecutionNotFoundException',
        `Pipeline execution ${String(input.pipelineExecutionId)} not found`,
      );
    return e;
  }

  private getPipelineExecution(input: Record<string, unknown>) {
    const e = this.requireExecution(input);
    return {
      pipelineExecution: {
        pipelineName: e.pipelineName,
        pipelineExecutionId: e.id,
        status: e.status,
        ...(e.statusSummary ? { statusSummary: e.statusSummary } : {}),
        executionMode: this.pipelines.get(e.pipelineName)?.executionMode,
        variables: Object.entries(e.variables).map(([name, resolvedValue]) => ({ name, resolvedValue })),
      },
    };
  }

  private listPipelineExecutions(input: Record<string, unknown>) {
    const p = this.requirePipeline(input.pipelineName as string);
    const all = [...this.executions.values()].filter((e) => e.pipelineName === p.name).reverse();
    return {
      pipelineExecutionSummaries: all.slice(0, (input.maxResults as number | undefined) ?? 100).map((e) => ({
        pipelineExecutionId: e.id,
        status: e.status,
        startTime: e.startTime,
        lastUpdateTime: e.lastUpdateTime,
      })),
    };
  }

  private listActionExecutions(input: Record<string, unknown>) {
    const p = this.requirePipeline(input.pipelineName as string);
    const id = (input.filter as { pipelineExecutionId?: string } | undefined)?.pipelineExecutionId;
    const actions = [...this.executions.values()]
      .filter((e) => e.pipelineName === p.name && (!id || e.id === id))
      .flatMap((e) => e.actions)
      .reverse();
    return {
      actionExecutionDetails: actions.map((a) => ({
        pipelineExecutionId: a.pipelineExecutionId,
        actionExecutionId: a.actionExecutionId,
        stageName: a.stageName,
        actionName: a.actionName,
        status: a.status,
        startTime: a.startTime,
        lastUpdateTime: a.lastUpdateTime,
        ...(a.summary ? { output: { executionResult: { externalExecutionSummary: a.summary } } } : {}),
      })),
    };
  }
}

/** A property value with `Ref`s to parameters and `${Param}`s in `Fn::Sub` resolved; undefined when it is anything else. */
function resolveValue(node: unknown, params: Readonly<Record<string, string>>): string | undefined {
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
  const o = node as Record<string, unknown>;
  if (typeof o.Ref === 'string') return params[o.Ref];
  if (typeof o['Fn::Sub'] === 'string') {
    let missing = false;
    const out = o['Fn::Sub'].replace(/\$\{([A-Za-z0-9]+)\}/g, (_m, name: string) => {
      const v = params[name];
      if (v === undefined) missing = true;
      return v ?? '';
    });
    return missing ? undefined : out;
  }
  return undefined;
}

/** A rule's http-header conditions with parameter references resolved. */
function headerConditionsOf(
  conditions: unknown,
  params: Readonly<Record<string, string>>,
): AlbHttpHeaderCondition[] {
  const out: AlbHttpHeaderCondition[] = [];
  for (const c of Array.isArray(conditions) ? (conditions as Record<string, unknown>[]) : []) {
    const config = c.HttpHeaderConfig as Record<string, unknown> | undefined;
    if (c.Field !== 'http-header' || !config) continue;
    const list = (v: unknown) =>
      Array.isArray(v)
        ? v.map((x) => resolveValue(x, params)).filter((x): x is string => x !== undefined)
        : undefined;
    const values = list(config.Values);
    const regex = list(config.RegexValues);
    out.push({
      Field: 'http-header',
      HttpHeaderConfig: {
        HttpHeaderName: resolveValue(config.HttpHeaderName, params) ?? '',
        ...(values ? { Values: values } : {}),
        ...(regex ? { RegexValues: regex } : {}),
      },
    });
  }
  return out;
}

/** The first container's environment and secrets, with `Ref`s to parameters resolved (other intrinsics: "?"). */
function containerOf(
  properties: Readonly<Record<string, unknown>>,
  params: Readonly<Record<string, string>>,
): Pick<FakeTaskDefinition, 'environment' | 'secrets'> {
  const container = (properties.ContainerDefinitions as Record<string, unknown>[] | undefined)?.[0] ?? {};
  const text = (v: unknown): string =>
    typeof v === 'string'
      ? v
      : v && typeof v === 'object' && 'Ref' in v
        ? (params[String((v as { Ref: unknown }).Ref)] ?? '?')
        : '?';
  return {
    environment: ((container.Environment as Record<string, unknown>[] | undefined) ?? []).map((e) => ({
      name: text(e.Name),
      value: text(e.Value),
    })),
    secrets: ((container.Secrets as Record<string, unknown>[] | undefined) ?? []).map((e) => ({
      name: text(e.Name),
      valueFrom: text(e.ValueFrom),
    })),
  };
}
