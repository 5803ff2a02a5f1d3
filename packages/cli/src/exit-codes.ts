/**
 * The exit codes of `lanes` (documented in docs/cli.md) and how an error is reported: a message on stderr, or,
 * with `--json`, one JSON object on stdout, `{ "error": { ... } }` (see {@link JsonError}).
 */
import { ConfigError, UnknownNameError, UserError } from '@ecs-lanes/core';
import { CommanderError } from 'commander';
import { isHelpOrVersion } from './command-lookup.js';

/** Exit codes, as documented. */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** A user error: bad input, a missing resource, a failed deploy or verification; nothing was broken. */
  user: 1,
  /** A usage error: unknown command or option, a missing or empty argument. */
  usage: 2,
  /** An internal error: a bug in ecs-lanes (please report it). */
  internal: 70,
  /** Interrupted (Ctrl-C); the message says in which state things were left. */
  interrupted: 130,
} as const;

/** The kind of an error, as `error.kind` in JSON. */
export type ErrorKind = 'user' | 'config' | 'usage' | 'internal' | 'interrupted';

/** The JSON shape of an error with `--json`: printed on stdout as `{ "error": JsonError }`. */
export interface JsonError {
  readonly kind: ErrorKind;
  /** The process exit code. */
  readonly exitCode: number;
  /** What went wrong and how to fix it. */
  readonly message: string;
  /** The messages of the errors that caused it, outermost first. @default [] */
  readonly causes: readonly string[];
  /** For a config error: every problem with its file, line and path. @default absent */
  readonly issues?: ConfigError['issues'];
}

/** A usage error: exit code 2. */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message, { exitCode: EXIT.usage });
    this.name = 'UsageError';
  }
}

/** The messages of `error`'s cause chain (at most 10, without repeating the error's own message). */
export function causeChain(error: unknown): string[] {
  const causes: string[] = [];
  let at = error instanceof Error ? error.cause : undefined;
  while (at !== undefined && causes.length < 10) {
    const text = at instanceof Error ? `${at.message}${codeOf(at)}` : String(at);
    if (!causes.includes(text)) causes.push(text);
    at = at instanceof Error ? at.cause : undefined;
  }
  return causes;
}

function codeOf(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' && !error.message.includes(code) ? ` (${code})` : '';
}

/** Node's error codes of a connection that could not be made or was lost (`man 3 errno`, getaddrinfo). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * `could not connect to {address}:{port} ({code})` when `error` or one of its causes is a network failure (the AWS
 * SDK throws the socket's error as it is once its retries are spent), else undefined.
 */
function networkFailure(error: unknown): string | undefined {
  for (let at = error, depth = 0; at instanceof Error && depth < 10; at = at.cause, depth++) {
    const { code, address, port, hostname } = at as NodeJS.ErrnoException & {
      address?: string;
      port?: number;
      hostname?: string;
    };
    if (typeof code === 'string' && NETWORK_CODES.has(code)) {
      const where =
        hostname ?? (address === undefined ? undefined : port === undefined ? address : `${address}:${port}`);
      return `could not connect${where ? ` to ${where}` : ''} (${code})`;
    }
  }
  return undefined;
}

/** How an error is reported: its JSON form and its lines for stderr. */
export function describeError(error: unknown): {
  readonly json: JsonError;
  readonly lines: readonly string[];
} {
  if (error instanceof CommanderError) {
    const exitCode = isHelpOrVersion(error) ? EXIT.ok : EXIT.usage;
    // Commander printed its own message already.
    return { json: { kind: 'usage', exitCode, message: error.message, causes: [] }, lines: [] };
  }
  if (error instanceof ConfigError) {
    return {
      json: { kind: 'config', exitCode: EXIT.user, message: error.message, causes: [], issues: error.issues },
      lines: error.message.split('\n'),
    };
  }
  if (error instanceof UserError || error instanceof UnknownNameError) {
    const exitCode = error instanceof UserError ? error.exitCode : EXIT.user;
    const kind: ErrorKind =
      exitCode === EXIT.usage ? 'usage' : exitCode === EXIT.interrupted ? 'interrupted' : 'user';
    return {
      json: { kind, exitCode, message: error.message, causes: [] },
      lines: [`error: ${error.message}`],
    };
  }
  const unreachable = networkFailure(error);
  if (unreachable) {
    const message = `${unreachable}; this is the network, not ecs-lanes: check the connection and any proxy (HTTPS_PROXY); for an AWS environment, its region in lanes.yaml and AWS_ENDPOINT_URL if it is set; for a local one, that it is up (lanes up)`;
    return {
      json: { kind: 'user', exitCode: EXIT.user, message, causes: causeChain(error) },
      lines: [`error: ${message}`],
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  const causes = causeChain(error);
  const stack = error instanceof Error && error.stack ? error.stack : message;
  return {
    json: { kind: 'internal', exitCode: EXIT.internal, message, causes },
    lines: [
      `unexpected error (a bug in ecs-lanes; please report it): ${stack}`,
      ...causes.map((c) => `  caused by: ${c}`),
    ],
  };
}
