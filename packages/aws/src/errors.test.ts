/**
 * AWS errors are explained, not reported as bugs: one line naming what was being done and the fix (a
 * {@link UserError}, exit 1). Against the fake, with AWS's answers planned where AWS may give them at any time.
 */
import { environmentNames, UserError } from '@ecs-lanes/core';
import { describe, expect, it } from 'vitest';
import { explainAwsError } from './errors.js';
import { createFakeWorld, FakeAwsError } from './fake/index.js';
import { deployLaneStack } from './lane-deploy.js';
import { bootstrapService } from './layers.js';
import { DEFAULT_MAX_ATTEMPTS } from './retry.js';
import { createAwsContext, createAwsTarget } from './target.js';

/** A service stack that imports the environment's VpcId, as the real ALB stack does. */
const importingTemplate = JSON.stringify({
  Parameters: { NetworkStackName: { Type: 'String' } },
  Resources: {
    Group: {
      Type: 'AWS::EC2::SecurityGroup',
      // A CloudFormation Fn::Sub placeholder, not a JavaScript one.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation syntax
      Properties: { VpcId: { 'Fn::ImportValue': { 'Fn::Sub': '${NetworkStackName}:VpcId' } } },
    },
  },
});

describe('AWS errors, explained', () => {
  it('a stack importing an export that does not exist yet names the export and the command that creates it', async () => {
    const w = createFakeWorld();
    const network = environmentNames('dev').networkStack;
    const ctx = createAwsContext({
      ...w.options,
      templates: {
        ...w.templates,
        serviceStacks: async () => [
          {
            stackName: 'boot-alb-orders-dev',
            templateBody: importingTemplate,
            parameters: { NetworkStackName: network },
          },
        ],
      },
    });
    const error = await bootstrapService(ctx, 'orders').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(1);
    const message = (error as Error).message;
    expect(message).toContain(`No export named ${network}:VpcId found`);
    expect(message).toMatch(/run: lanes env deploy dev\b/);
    expect(message.split('\n')).toHaveLength(1);
  });

  it('the same, when CloudFormation refuses the change set itself (ValidationError from CreateChangeSet)', async () => {
    const w = createFakeWorld();
    const network = environmentNames('dev').networkStack;
    w.fake.faults.fail('CreateChangeSet', {
      name: 'ValidationError',
      message: `No export named ${network}:VpcId found.`,
    });
    const error = await bootstrapService(w.context(), 'orders').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^bootstrapping service orders in dev: .*No export named ${network}:VpcId found.*; run: lanes env deploy dev$`,
      ),
    );
  });

  it('a server error (5xx) that outlasts the SDK retries is an outage to wait out, not a bug', async () => {
    const w = createFakeWorld();
    await w.bootstrap('orders');
    w.fake.faults.fail(
      'DescribeStacks',
      { name: 'ServiceUnavailable', message: 'Service is unavailable', status: 503 },
      DEFAULT_MAX_ATTEMPTS * 5,
    );
    const calls = w.fake.calls.length;
    const error = await createAwsTarget(w.options)
      .list()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(
      /^AWS answered ServiceUnavailable \(HTTP 503\) while listing the lanes of dev, after \d+ attempts with backoff: Service is unavailable; AWS may be having trouble: see https:\/\/health\.aws\.amazon\.com\/health\/status and run the command again$/,
    );
    // The SDK retried before giving up.
    expect(w.fake.calls.slice(calls).filter((c) => c === 'DescribeStacks').length).toBeGreaterThanOrEqual(
      DEFAULT_MAX_ATTEMPTS,
    );
  });

  it('PriorityInUse answered by an API call says a concurrent deploy took the slot', () => {
    const error = explainAwsError(
      new FakeAwsError('PriorityInUse', "Priority '7' is currently in use"),
      'deploying lane gray of orders',
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(
      "listener rule priority 7 is already taken while deploying lane gray of orders (PriorityInUse: Priority '7' is currently in use); another lane's deploy took it at the same time: run the command again",
    );
  });

  it('a lane deploy that meets PriorityInUse from an API call allocates again and succeeds', async () => {
    const w = createFakeWorld();
    await w.bootstrap('orders');
    w.fake.faults.fail('ExecuteChangeSet', {
      name: 'PriorityInUse',
      message: "Priority '7' is currently in use",
    });
    const progress: string[] = [];
    const result = await deployLaneStack(
      w.context(),
      { service: 'orders', lane: 'gray', branch: 'gray', imageUri: 'repo/orders:abc1234' },
      (e) => progress.push(e.message),
    );
    expect(result.outcome).toBe('created');
    expect(progress.some((m) => /was taken by a concurrent deploy; allocating again/.test(m))).toBe(true);
    // Created, then its lane traffic shifted from the baseline: an update (docs/deploy-order.md).
    expect(w.fake.stack('app-orders--dev-gray')?.status).toBe('UPDATE_COMPLETE');
  });

  it.each([
    ['ValidationError', 'Parameters: [Foo] do not exist in the template', 400],
    ['InvalidParameterException', 'The target group does not have an associated load balancer.', 400],
    ['LimitExceededException', 'Limit for stacks exceeded', 400],
  ])('any other error AWS answers (%s) is one line naming what was done, exit 1', (name, message, status) => {
    const error = explainAwsError(new FakeAwsError(name, message, status), 'deploying environment dev');
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(
      `AWS refused deploying environment dev: ${name}: ${message}; fix what it names (see docs/operations.md, "When AWS says no") and run the command again`,
    );
  });

  it('an error that is not an AWS answer stays what it is: a bug (exit 70 at the CLI)', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'StackId')");
    expect(explainAwsError(bug, 'listing the lanes of dev')).toBe(bug);
  });
});
