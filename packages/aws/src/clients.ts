/**
 * The AWS SDK v3 clients the control plane uses, created once per command for one account and region.
 * Tests inject clients wired to the in-memory fake (`fake/plug.ts`); nothing else in this package creates one.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { fromIni, fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { DEFAULT_MAX_ATTEMPTS, LanesRetryStrategy } from './retry.js';

/** Every client the control plane calls. */
export interface AwsClients {
  readonly cloudformation: CloudFormationClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly ecs: ECSClient;
  readonly codepipeline: CodePipelineClient;
  readonly servicediscovery: ServiceDiscoveryClient;
  readonly cloudwatch: CloudWatchClient;
  /** CloudWatch Logs: `lanes logs` (operator policy, docs/operations.md). */
  readonly logs: CloudWatchLogsClient;
  /** SSM Parameter Store: `lanes config`, and the lane's configuration at deploy time. */
  readonly ssm: SSMClient;
  readonly sts: STSClient;
}

/** Options of {@link createAwsClients}. */
export interface CreateAwsClientsOptions {
  /** AWS region, for example `us-east-1`. */
  readonly region: string;
  /** Named profile of the shared config/credentials files. @default the default provider chain */
  readonly profile?: string;
  /** Clock of retry backoff. @default the system clock */
  readonly clock?: Clock;
  /** Attempts per call, first included. @default `AWS_MAX_ATTEMPTS` when it is a positive integer (as the SDK reads it), else 8 */
  readonly maxAttempts?: number;
}

/** `AWS_MAX_ATTEMPTS` of the environment, the SDK's own setting, when it is a positive integer. */
function maxAttemptsFromEnv(): number | undefined {
  const raw = process.env.AWS_MAX_ATTEMPTS?.trim();
  return raw !== undefined && /^[1-9]\d*$/.test(raw) ? Number(raw) : undefined;
}

/** The SDK configuration shared by every client. */
export function clientConfig(options: CreateAwsClientsOptions) {
  const maxAttempts = options.maxAttempts ?? maxAttemptsFromEnv() ?? DEFAULT_MAX_ATTEMPTS;
  return {
    region: options.region,
    credentials: options.profile ? fromIni({ profile: options.profile }) : fromNodeProviderChain(),
    maxAttempts,
    retryStrategy: new LanesRetryStrategy(options.clock ?? systemClock, maxAttempts),
  };
}

/** Creates the clients for one account and region. Creating them makes no call. */
export function createAwsClients(options: CreateAwsClientsOptions): AwsClients {
  const config = clientConfig(options);
  return {
    cloudformation: new CloudFormationClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    ecs: new ECSClient(config),
    codepipeline: new CodePipelineClient(config),
    servicediscovery: new ServiceDiscoveryClient(config),
    cloudwatch: new CloudWatchClient(config),
    logs: new CloudWatchLogsClient(config),
    ssm: new SSMClient(config),
    sts: new STSClient(config),
  };
}
