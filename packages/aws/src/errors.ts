/**
 * AWS errors as one-line {@link UserError}s (exit 1) naming what was being done and the fix: credentials,
 * region, throttling, permissions, an export that does not exist yet, a listener-rule priority taken by a
 * concurrent deploy, server errors that outlasted the retries, and any other error AWS answers. Only errors that
 * are not AWS's answers (a bug in ecs-lanes) pass through unchanged, to be printed with their stack (exit 70).
 */
import { UserError } from '@ecs-lanes/core';
import { DEFAULT_MAX_ATTEMPTS, isThrottling } from './retry.js';

/** Where AWS's health is published, for server errors. */
export const AWS_HEALTH_URL = 'https://health.aws.amazon.com/health/status';

/** What {@link explainAwsError} knows about the caller, to name fixes. */
export interface AwsErrorContext {
  /** The profile in use, for credential fixes. */
  readonly profile?: string;
  /**
   * The command that creates the export `name` (for example `lanes env deploy dev`), or undefined when no
   * layer of ecs-lanes exports it. @default none known
   */
  readonly exportCreator?: (exportName: string) => string | undefined;
}

/** The error's name, as the SDK sets it (`ValidationError`, `ThrottlingException`, ...). */
export function errorName(error: unknown): string {
  return (error as { name?: string } | undefined)?.name ?? '';
}

/** The error's message. */
export function errorMessage(error: unknown): string {
  return (error as { message?: string } | undefined)?.message ?? String(error);
}

/**
 * Turns an error of an AWS call made while `doing` (for example "listing the stacks of dev") into a
 * {@link UserError} when the user can fix it; returns other errors unchanged.
 */
export function explainAwsError(error: unknown, doing: string, context: AwsErrorContext = {}): unknown {
  const name = errorName(error);
  const message = errorMessage(error);
  const missingExport = /No export named (\S+?)\.? found/.exec(message)?.[1];
  if (missingExport) {
    const creator = context.exportCreator?.(missingExport);
    const fix = creator
      ? `run: ${creator}`
      : 'deploy the stack that exports it first (see the stacks of every layer in docs/operations.md)';
    const what = error instanceof UserError ? firstLine(message) : `${name}: ${firstLine(message)}`;
    return new UserError(`${doing}: ${what}; ${fix}`, { cause: error });
  }
  if (error instanceof UserError) return error;
  if (
    name === 'CredentialsProviderError' ||
    /Could not load credentials|Could not resolve credentials|credential.*(expired|missing)/i.test(message) ||
    name === 'ExpiredTokenException' ||
    name === 'ExpiredToken' ||
    name === 'UnrecognizedClientException' ||
    name === 'InvalidClientTokenId'
  ) {
    const how = context.profile
      ? `check profile "${context.profile}" in ~/.aws/config (aws sso login --profile ${context.profile} if it uses SSO)`
      : 'pass --profile, set AWS_PROFILE, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY';
    return new UserError(`no valid AWS credentials while ${doing} (${firstLine(message)}); ${how}`, {
      cause: error,
    });
  }
  if (/Region is missing|region.*(not|missing)/i.test(message) && /region/i.test(message)) {
    return new UserError(
      `no AWS region while ${doing}; pass --region or set region in the environment of lanes.yaml`,
      { cause: error },
    );
  }
  if (isThrottling(error)) {
    return new UserError(
      `AWS throttled the requests while ${doing} (${firstLine(message)}) even after retrying with backoff; wait a minute and run the command again`,
      { cause: error },
    );
  }
  if (
    name === 'AccessDenied' ||
    name === 'AccessDeniedException' ||
    /not authorized to perform/i.test(message)
  ) {
    return new UserError(
      `access denied while ${doing} (${firstLine(message)}); use a profile whose role may do this (--profile)`,
      { cause: error },
    );
  }
  if (name === 'PriorityInUse') {
    const priority = /Priority '?(\d+)'?/.exec(message)?.[1];
    return new UserError(
      `listener rule priority ${priority ?? ''}${priority ? ' ' : ''}is already taken while ${doing} (${name}: ${firstLine(message)}); another lane's deploy took it at the same time: run the command again`,
      { cause: error },
    );
  }
  if (!isAwsAnswer(error)) return error;
  if (isServerFault(error)) {
    const status = httpStatus(error);
    const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts;
    return new UserError(
      `AWS answered ${name}${status ? ` (HTTP ${status})` : ''} while ${doing}, after ${attempts ?? DEFAULT_MAX_ATTEMPTS} attempts with backoff: ${firstLine(message)}; AWS may be having trouble: see ${AWS_HEALTH_URL} and run the command again`,
      { cause: error },
    );
  }
  return new UserError(
    `AWS refused ${doing}: ${name}: ${firstLine(message)}; fix what it names (see docs/operations.md, "When AWS says no") and run the command again`,
    { cause: error },
  );
}

/** True for an error AWS answered (the SDK's service exceptions carry `$fault` and `$metadata`). */
export function isAwsAnswer(error: unknown): boolean {
  const e = error as { $fault?: unknown; $metadata?: unknown } | undefined;
  return (
    typeof e === 'object' && e !== null && (e.$fault === 'client' || e.$fault === 'server') && !!e.$metadata
  );
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** A server-side fault (5xx): nothing the caller can fix but waiting. */
function isServerFault(error: unknown): boolean {
  const status = httpStatus(error) ?? 0;
  return (error as { $fault?: string }).$fault === 'server' || (status >= 500 && status <= 599);
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
