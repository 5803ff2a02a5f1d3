/**
 * AWS errors the user can fix (credentials, region, throttling, permissions) as one-line {@link UserError}s
 * with the fix; anything else passes through unchanged (a bug or an outage, printed with its stack).
 */
import { UserError } from '@ecs-lanes/core';
import { isThrottling } from './retry.js';

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
export function explainAwsError(error: unknown, doing: string, context: { profile?: string } = {}): unknown {
  if (error instanceof UserError) return error;
  const name = errorName(error);
  const message = errorMessage(error);
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
  return error;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
