/**
 * The guards of a shared stack, termination protection and the stack policy, brought to what its template
 * source declares on every deploy (a fresh create, an update, and an empty change set alike), so that a rerun
 * converges after a failed guard call or after only the policy changed. Termination protection is only ever
 * turned on here (a stack that does not declare it keeps what it has); the policy is set when it differs.
 * - UpdateTerminationProtection: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateTerminationProtection.html
 * - SetStackPolicy / GetStackPolicy: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_SetStackPolicy.html,
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_GetStackPolicy.html
 */
import {
  type CloudFormationClient,
  DescribeStacksCommand,
  GetStackPolicyCommand,
  SetStackPolicyCommand,
  UpdateTerminationProtectionCommand,
} from '@aws-sdk/client-cloudformation';
import type { ProgressListener } from '@ecs-lanes/core';
import type { Clock } from './clock.js';
import { withThrottleRetry } from './retry.js';
import type { StackTemplate } from './templates.js';

/** Two policy documents are the same policy when they parse to the same JSON (whitespace does not count). */
function samePolicy(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return a === b;
  }
}

/**
 * Brings the guards of `spec.stackName` (which exists) to what `spec` declares and returns one note per change,
 * for example `infra-network-dev: termination protection enabled`. With `dryRun`, changes nothing and returns
 * what it would change (`... would be enabled`).
 */
export async function ensureStackGuards(
  cfn: CloudFormationClient,
  clock: Clock,
  spec: StackTemplate,
  options: { readonly dryRun?: boolean; readonly progress?: ProgressListener } = {},
): Promise<string[]> {
  if (!spec.terminationProtection && spec.stackPolicy === undefined) return [];
  const notes: string[] = [];
  const name = spec.stackName;
  const say = (note: string) => {
    notes.push(note);
    options.progress?.({ phase: 'stack', message: note });
  };
  if (spec.terminationProtection) {
    const out = await withThrottleRetry(clock, () =>
      cfn.send(new DescribeStacksCommand({ StackName: name })),
    );
    if (out.Stacks?.[0]?.EnableTerminationProtection !== true) {
      if (options.dryRun) say(`${name}: termination protection would be enabled`);
      else {
        await withThrottleRetry(clock, () =>
          cfn.send(
            new UpdateTerminationProtectionCommand({ StackName: name, EnableTerminationProtection: true }),
          ),
        );
        say(`${name}: termination protection enabled`);
      }
    }
  }
  if (spec.stackPolicy !== undefined) {
    const current = (
      await withThrottleRetry(clock, () => cfn.send(new GetStackPolicyCommand({ StackName: name })))
    ).StackPolicyBody;
    if (!samePolicy(current, spec.stackPolicy)) {
      const verb = current === undefined ? 'set' : 'updated';
      if (options.dryRun) say(`${name}: stack policy would be ${verb === 'set' ? 'set' : 'updated'}`);
      else {
        await withThrottleRetry(clock, () =>
          cfn.send(new SetStackPolicyCommand({ StackName: name, StackPolicyBody: spec.stackPolicy })),
        );
        say(`${name}: stack policy ${verb}`);
      }
    }
  }
  return notes;
}
