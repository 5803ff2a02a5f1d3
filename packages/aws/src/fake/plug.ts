/**
 * Real SDK v3 clients whose requests are answered by a {@link FakeAws}: a middleware placed right after the
 * SDK's retry middleware hands each command's input to the fake and returns its output, so serialization of
 * the input, the retry strategy (on the injected clock) and error handling are the SDK's own.
 */
import type { AwsClients } from '../clients.js';
import { createAwsClients } from '../clients.js';
import type { FakeAws } from './fake-aws.js';

interface MiddlewareClient {
  middlewareStack: {
    addRelativeTo(
      middleware: (
        next: unknown,
        context: { commandName?: string },
      ) => (args: { input: unknown }) => Promise<unknown>,
      options: { relation: 'after'; toMiddleware: string; name: string; override?: boolean },
    ): void;
  };
}

/** Options of {@link fakeClients}. */
export interface FakeClientsOptions {
  /** Attempts per call (the SDK's maxAttempts). @default 8 */
  readonly maxAttempts?: number;
  /**
   * The role whose session makes the calls (a CodeBuild job's service role, for example): the fake's IAM
   * evaluates each call against that role's policies. @default the account's administrator: not evaluated
   */
  readonly roleArn?: string;
}

/** Clients for `fake`'s account and region, answered by the fake. */
export function fakeClients(fake: FakeAws, options: FakeClientsOptions = {}): AwsClients {
  const clients = createAwsClients({
    region: fake.region,
    clock: fake.clock,
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
  });
  for (const client of Object.values(clients) as unknown as (MiddlewareClient & {
    config: { credentials: unknown };
  })[]) {
    client.config.credentials = async () => ({ accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' });
    client.middlewareStack.addRelativeTo(
      (_next, context) => async (args) => {
        const output = await fake.handle(
          context.commandName ?? 'Unknown',
          args.input as Record<string, unknown>,
          options.roleArn,
        );
        return {
          response: { statusCode: 200, headers: {} },
          output: { ...output, $metadata: { httpStatusCode: 200 } },
        };
      },
      { relation: 'after', toMiddleware: 'retryMiddleware', name: 'ecsLanesFake', override: true },
    );
  }
  return clients;
}
