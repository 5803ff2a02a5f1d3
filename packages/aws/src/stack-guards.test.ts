/**
 * Every deploy of a shared stack leaves its termination protection and stack policy as declared, even when its
 * change set is empty, and says when it changed them: a rerun converges after a failed protection call or after
 * only the stack-policy file changed.
 */
import { DescribeStacksCommand, GetStackPolicyCommand } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { createFakeWorld, type FakeWorld } from './fake/index.js';
import { DEFAULT_MAX_ATTEMPTS } from './retry.js';

const template = JSON.stringify({
  Parameters: { Name: { Type: 'String' } },
  Resources: { Main: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { Ref: 'Name' } } } },
});
const policy = (action: string) =>
  JSON.stringify({
    Statement: [
      { Effect: 'Allow', Principal: '*', Action: 'Update:*', Resource: '*' },
      { Effect: 'Deny', Principal: '*', Action: action, Resource: '*' },
    ],
  });
const spec = {
  stackName: 'shared',
  templateBody: template,
  parameters: { Name: 'a' },
  terminationProtection: true,
  stackPolicy: policy('Update:Delete'),
};

async function protection(w: FakeWorld): Promise<boolean | undefined> {
  const out = await w.clients.cloudformation.send(new DescribeStacksCommand({ StackName: 'shared' }));
  return out.Stacks?.[0]?.EnableTerminationProtection;
}

async function stackPolicy(w: FakeWorld): Promise<string | undefined> {
  const out = await w.clients.cloudformation.send(new GetStackPolicyCommand({ StackName: 'shared' }));
  return out.StackPolicyBody;
}

describe('termination protection and stack policy converge on every deploy', () => {
  it('a fresh create turns both on and says so', async () => {
    const w = createFakeWorld();
    const created = await w.context().stacks.deploy(spec);
    expect(created.outcome).toBe('created');
    expect(await protection(w)).toBe(true);
    expect(JSON.parse((await stackPolicy(w))!)).toEqual(JSON.parse(spec.stackPolicy));
    expect(created.notes).toEqual(['shared: termination protection enabled', 'shared: stack policy set']);
  });

  it('protection is retried on throttling like every other call', async () => {
    const w = createFakeWorld();
    // More throttles than the SDK's own attempts: the control plane's retry must carry it through.
    w.fake.throttle('UpdateTerminationProtection', DEFAULT_MAX_ATTEMPTS + 2);
    await w.context().stacks.deploy(spec);
    expect(await protection(w)).toBe(true);
  });

  it('a rerun after the protection call failed turns it on, although the change set is empty', async () => {
    const w = createFakeWorld();
    w.fake.faults.fail(
      'UpdateTerminationProtection',
      { name: 'InternalFailure', message: 'We encountered an internal error', status: 500 },
      DEFAULT_MAX_ATTEMPTS,
    );
    await expect(w.context().stacks.deploy(spec)).rejects.toThrow(/internal error/);
    expect(await protection(w)).toBe(false);
    const rerun = await w.context().stacks.deploy(spec);
    expect(rerun.outcome).toBe('unchanged');
    expect(await protection(w)).toBe(true);
    // The first run stopped at protection, so the policy was never set either: the rerun does both.
    expect(rerun.notes).toEqual(['shared: termination protection enabled', 'shared: stack policy set']);
    expect(JSON.parse((await stackPolicy(w))!)).toEqual(JSON.parse(spec.stackPolicy));
  });

  it('a rerun where only the stack policy changed sets the new policy and says so', async () => {
    const w = createFakeWorld();
    await w.context().stacks.deploy(spec);
    const changed = { ...spec, stackPolicy: policy('Update:Replace') };
    const rerun = await w.context().stacks.deploy(changed);
    expect(rerun.outcome).toBe('unchanged');
    expect(JSON.parse((await stackPolicy(w))!)).toEqual(JSON.parse(changed.stackPolicy));
    expect(rerun.notes).toEqual(['shared: stack policy updated']);
  });

  it('a rerun with nothing to fix says nothing about them and makes no call that changes them', async () => {
    const w = createFakeWorld();
    await w.context().stacks.deploy(spec);
    const calls = w.fake.calls.length;
    const rerun = await w.context().stacks.deploy(spec);
    expect(rerun.notes).toEqual([]);
    const made = w.fake.calls.slice(calls);
    expect(made).not.toContain('SetStackPolicy');
    expect(made).not.toContain('UpdateTerminationProtection');
  });

  it('a dry run says what it would fix and fixes nothing', async () => {
    const w = createFakeWorld();
    await w.context().stacks.deploy({ ...spec, terminationProtection: false, stackPolicy: undefined });
    const plan = await w.context().stacks.deploy(spec, { dryRun: true });
    expect(plan.notes).toEqual([
      'shared: termination protection would be enabled',
      'shared: stack policy would be set',
    ]);
    expect(await protection(w)).toBe(false);
    expect(await stackPolicy(w)).toBeUndefined();
  });
});
