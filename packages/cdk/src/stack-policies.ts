/**
 * Stack policies of the shared stacks, written by `lanes synth` to `policies/*.json`, applied with
 * `aws cloudformation set-stack-policy` and by the pipelines (the `StackPolicy` of each parameter file).
 * Everything may be updated except: the listener and its default action (no `Update:*` at all), and the
 * shared resources, which may never be replaced or deleted by an update.
 */

/** A CloudFormation stack policy document. */
export interface StackPolicy {
  readonly Statement: readonly Record<string, unknown>[];
}

/** The stack policy protecting `shared` (no replace/delete) and `frozen` (no update at all). */
export function stackPolicy(shared: readonly string[], frozen: readonly string[] = []): StackPolicy {
  const ids = (logicalIds: readonly string[]) => logicalIds.map((id) => `LogicalResourceId/${id}`);
  return {
    Statement: [
      ...(frozen.length
        ? [{ Effect: 'Deny', Principal: '*', Action: 'Update:*', Resource: ids(frozen) }]
        : []),
      { Effect: 'Deny', Principal: '*', Action: ['Update:Replace', 'Update:Delete'], Resource: ids(shared) },
      { Effect: 'Allow', Principal: '*', Action: 'Update:*', Resource: '*' },
    ],
  };
}
