/**
 * Stack deploys through change sets, with the rules CloudFormation enforces:
 * - one operation per stack at a time (the per-stack lock): a stack whose operation is in progress is waited
 *   for, then deployed; a change set made obsolete by a concurrent deploy is made again;
 * - an empty change set ("didn't contain changes") is success;
 * - a stack in `ROLLBACK_COMPLETE` (a failed first create) cannot be updated: it is deleted and created again;
 * - stack events stream as progress while waiting.
 * Dry runs create the change set, read its summary and delete it (and the empty `REVIEW_IN_PROGRESS` stack a
 * first change set creates), changing no resource.
 */
import {
  type Change,
  type CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  type DescribeChangeSetCommandOutput,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  type Stack,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import type { ProgressListener } from '@ecs-lanes/core';
import { DEPLOY_JOB_TIMEOUT_MINUTES, UserError } from '@ecs-lanes/core';
import type { Clock } from './clock.js';
import { errorMessage, errorName } from './errors.js';
import { withThrottleRetry } from './retry.js';
import { ensureStackGuards } from './stack-guards.js';
import { inlineTemplateBody, type StackTemplate } from './templates.js';

/** How often stack and change-set states are polled. */
export const STACK_POLL_MS = 5_000;
/**
 * How long a single stack operation may take before we give up waiting: a lane stack's update waits for its
 * ECS service through blue/green hooks and the bake time, so as long as the app pipeline's Deploy job may run.
 */
export const STACK_WAIT_TIMEOUT_MS = DEPLOY_JOB_TIMEOUT_MINUTES * 60_000;
/** How many times a deploy starts over after losing a race for the stack. */
export const MAX_DEPLOY_ROUNDS = 12;

/** One line of a change set's summary. */
export interface ChangeSummary {
  readonly action: 'Add' | 'Modify' | 'Remove' | 'Import' | 'Dynamic' | string;
  readonly logicalId: string;
  readonly resourceType: string;
  /** For `Modify`: True, False or Conditional. */
  readonly replacement?: string;
}

/** The outcome of a stack deploy. */
export interface StackDeployResult {
  readonly stackName: string;
  /** `planned`: dry run; `unchanged`: empty change set. */
  readonly outcome: 'created' | 'updated' | 'unchanged' | 'planned';
  /** What the change set does (or did). */
  readonly changes: readonly ChangeSummary[];
  /** Actions taken before the change set (for example re-creating a stack in ROLLBACK_COMPLETE). */
  readonly notes: readonly string[];
  /** Stack outputs after the deploy. */
  readonly outputs: Readonly<Record<string, string>>;
}

/** A stack operation that ended in a failed state; the previous version (if any) stays. */
export class StackDeployError extends UserError {
  readonly stackName: string;
  readonly status: string;
  readonly reasons: readonly string[];
  constructor(stackName: string, status: string, reasons: readonly string[]) {
    super(
      `stack ${stackName} ended in ${status}${reasons.length ? `: ${reasons.join('; ')}` : ''}` +
        (status === 'UPDATE_ROLLBACK_COMPLETE'
          ? '; CloudFormation rolled back, so the previous version still serves'
          : ''),
    );
    this.name = 'StackDeployError';
    this.stackName = stackName;
    this.status = status;
    this.reasons = reasons;
  }
}

/** True for the statuses in which an operation holds the stack. */
export function isInProgress(status: string | undefined): boolean {
  return status !== undefined && status !== 'REVIEW_IN_PROGRESS' && status.endsWith('_IN_PROGRESS');
}

/** Statuses from which no deploy can start without a human. */
const STUCK: Readonly<Record<string, string>> = {
  UPDATE_ROLLBACK_FAILED:
    'continue the rollback (aws cloudformation continue-update-rollback --stack-name NAME), then deploy again',
  ROLLBACK_FAILED: 'delete the stack (lanes rm, or the console with "retain" for the failed resources)',
  DELETE_FAILED: 'see the stack events for what could not be deleted, fix it, and delete the stack again',
  IMPORT_ROLLBACK_FAILED: 'fix the import in the CloudFormation console',
};

/** A message from CloudFormation saying the stack is busy (the per-stack lock). */
function isStackBusy(error: unknown): boolean {
  return /is in [A-Z_]+_IN_PROGRESS state and can ?not be updated/.test(errorMessage(error));
}

/** A change set that cannot be executed any more (made obsolete by another deploy). */
function isObsoleteChangeSet(error: unknown): boolean {
  return (
    errorName(error) === 'InvalidChangeSetStatusException' ||
    errorName(error) === 'InvalidChangeSetStatus' ||
    /cannot be executed in its current status/.test(errorMessage(error))
  );
}

/** What CloudFormation says about an empty change set. */
export function isEmptyChangeSetReason(reason: string | undefined): boolean {
  return (
    reason !== undefined &&
    /didn't contain changes|No updates are to be performed|The submitted information didn't contain changes/.test(
      reason,
    )
  );
}

/** Deploys and deletes stacks for one account and region. */
export class StackOperations {
  constructor(
    private readonly cfn: CloudFormationClient,
    private readonly clock: Clock,
  ) {}

  /** The stack, or undefined when it does not exist. */
  async describe(stackName: string): Promise<Stack | undefined> {
    try {
      const out = await withThrottleRetry(this.clock, () =>
        this.cfn.send(new DescribeStacksCommand({ StackName: stackName })),
      );
      const stack = out.Stacks?.[0];
      return stack && stack.StackStatus !== 'DELETE_COMPLETE' ? stack : undefined;
    } catch (error) {
      if (/does not exist/.test(errorMessage(error))) return undefined;
      throw error;
    }
  }

  /** Every stack (paged), optionally filtered. */
  async describeAll(filter: (stack: Stack) => boolean = () => true): Promise<Stack[]> {
    const out: Stack[] = [];
    let token: string | undefined;
    do {
      const page = await withThrottleRetry(this.clock, () =>
        this.cfn.send(new DescribeStacksCommand({ NextToken: token })),
      );
      for (const s of page.Stacks ?? []) if (s.StackStatus !== 'DELETE_COMPLETE' && filter(s)) out.push(s);
      token = page.NextToken;
    } while (token);
    return out;
  }

  /**
   * Creates or updates a stack through a change set and waits for it; see the module doc for the rules.
   * @throws StackDeployError when the operation ends in a failed or rolled-back state
   */
  async deploy(
    specOrPlan: StackTemplate | (() => Promise<StackTemplate>),
    options: { readonly dryRun?: boolean; readonly progress?: ProgressListener } = {},
  ): Promise<StackDeployResult> {
    const progress = options.progress ?? (() => {});
    const notes: string[] = [];
    let spec = typeof specOrPlan === 'function' ? await specOrPlan() : specOrPlan;
    for (let round = 0; round < MAX_DEPLOY_ROUNDS; round++) {
      // Inputs that depend on the stack (tags with its history, a rule priority) are computed again after
      // waiting for another deploy of the same stack.
      if (round > 0 && typeof specOrPlan === 'function') spec = await specOrPlan();
      const body = inlineTemplateBody(spec.stackName, spec.templateBody);
      const stack = await this.describe(spec.stackName);
      const status = stack?.StackStatus;
      if (isInProgress(status)) {
        progress({
          phase: 'stack',
          message: `${spec.stackName} is ${status} (another operation holds it); waiting for it to finish`,
        });
        await this.waitStable(spec.stackName, this.clock.now(), progress);
        continue;
      }
      if (status && STUCK[status]) {
        throw new UserError(
          `stack ${spec.stackName} is in ${status}; ${STUCK[status]!.replace('NAME', spec.stackName)}`,
        );
      }
      if (status === 'ROLLBACK_COMPLETE') {
        const note = `${spec.stackName} is ROLLBACK_COMPLETE (its first create failed): deleted and created again`;
        if (options.dryRun) {
          notes.push(note.replace('deleted and created again', 'would be deleted and created again'));
          return { stackName: spec.stackName, outcome: 'planned', changes: [], notes, outputs: {} };
        }
        progress({
          phase: 'stack',
          message: `${spec.stackName} is ROLLBACK_COMPLETE; deleting it to create it again`,
        });
        await this.deleteAndWait(spec.stackName, progress);
        notes.push(note);
        continue;
      }
      const type = stack === undefined || status === 'REVIEW_IN_PROGRESS' ? 'CREATE' : 'UPDATE';
      // A CREATE change set makes an empty REVIEW_IN_PROGRESS stack; the deploy that made it removes it when the
      // change set fails or cannot be executed, so that a failed first deploy leaves nothing behind (a stack
      // another deploy made is left to that deploy).
      const ownsReviewStack = stack === undefined;
      const changeSetName = `lanes-${this.clock.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
      let changeSetId: string;
      try {
        const created = await withThrottleRetry(this.clock, () =>
          this.cfn.send(
            new CreateChangeSetCommand({
              StackName: spec.stackName,
              ChangeSetName: changeSetName,
              ChangeSetType: type,
              TemplateBody: body,
              Parameters: Object.entries(spec.parameters).map(([ParameterKey, ParameterValue]) => ({
                ParameterKey,
                ParameterValue,
              })),
              Tags: Object.entries(spec.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
              ...(spec.roleArn ? { RoleARN: spec.roleArn } : {}),
              Capabilities:
                spec.namedIam === false
                  ? []
                  : ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
            }),
          ),
        );
        changeSetId = created.Id!;
      } catch (error) {
        if (isStackBusy(error) || /already exists/.test(errorMessage(error))) continue;
        throw error;
      }
      const described = await this.waitChangeSet(changeSetId);
      if (described.Status === 'FAILED') {
        await this.deleteChangeSet(changeSetId);
        if (isEmptyChangeSetReason(described.StatusReason)) {
          if (options.dryRun && type === 'CREATE' && stack === undefined)
            await this.deleteReviewStack(spec.stackName);
          progress({ phase: 'stack', message: `${spec.stackName}: no changes` });
          // Nothing to deploy, but the guards may still differ (a failed protection call, a new policy).
          if (type === 'UPDATE')
            notes.push(...(await ensureStackGuards(this.cfn, this.clock, spec, options)));
          return {
            stackName: spec.stackName,
            outcome: 'unchanged',
            changes: [],
            notes,
            outputs: outputsOf(stack),
          };
        }
        if (ownsReviewStack) await this.deleteReviewStack(spec.stackName);
        throw new UserError(
          `the change set of stack ${spec.stackName} failed: ${described.StatusReason ?? 'no reason given'}`,
        );
      }
      if (described.ExecutionStatus === 'OBSOLETE') {
        progress({
          phase: 'stack',
          message: `${spec.stackName}: another deploy went first; deploying again`,
        });
        await this.deleteChangeSet(changeSetId);
        continue;
      }
      const changes = await this.changesOf(described);
      if (options.dryRun) {
        await this.deleteChangeSet(changeSetId);
        if (type === 'CREATE' && (stack === undefined || status === 'REVIEW_IN_PROGRESS')) {
          await this.deleteReviewStack(spec.stackName);
        } else notes.push(...(await ensureStackGuards(this.cfn, this.clock, spec, options)));
        return { stackName: spec.stackName, outcome: 'planned', changes, notes, outputs: outputsOf(stack) };
      }
      const since = this.clock.now();
      try {
        await withThrottleRetry(this.clock, () =>
          this.cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: changeSetId })),
        );
      } catch (error) {
        if (isObsoleteChangeSet(error) || isStackBusy(error)) {
          progress({
            phase: 'stack',
            message: `${spec.stackName}: another deploy went first; waiting for it, then deploying again`,
          });
          await this.deleteChangeSet(changeSetId);
          continue;
        }
        if (ownsReviewStack) {
          await this.deleteChangeSet(changeSetId);
          await this.deleteReviewStack(spec.stackName);
        }
        throw error;
      }
      progress({
        phase: 'stack',
        message: `${spec.stackName}: ${type === 'CREATE' ? 'creating' : 'updating'} (${changes.length} change${changes.length === 1 ? '' : 's'})`,
      });
      const final = await this.waitStable(spec.stackName, since, progress);
      const finalStatus = final?.StackStatus ?? 'DELETE_COMPLETE';
      if (finalStatus === 'CREATE_COMPLETE' || finalStatus === 'UPDATE_COMPLETE') {
        notes.push(...(await ensureStackGuards(this.cfn, this.clock, spec, { progress })));
        return {
          stackName: spec.stackName,
          outcome: type === 'CREATE' ? 'created' : 'updated',
          changes,
          notes,
          outputs: outputsOf(final),
        };
      }
      throw new StackDeployError(
        spec.stackName,
        finalStatus,
        await this.failureReasons(spec.stackName, since),
      );
    }
    throw new UserError(
      `stack ${spec.stackName} kept changing under this deploy (${MAX_DEPLOY_ROUNDS} rounds); run the command again`,
    );
  }

  /**
   * Deletes a stack and waits until it is gone, streaming events.
   * @throws StackDeployError when the delete fails (for example an export still in use)
   */
  async deleteAndWait(stackName: string, progress: ProgressListener = () => {}): Promise<void> {
    for (let round = 0; round < MAX_DEPLOY_ROUNDS; round++) {
      const stack = await this.describe(stackName);
      if (!stack) return;
      if (isInProgress(stack.StackStatus) && stack.StackStatus !== 'DELETE_IN_PROGRESS') {
        progress({
          phase: 'stack',
          message: `${stackName} is ${stack.StackStatus}; waiting before deleting it`,
        });
        await this.waitStable(stackName, this.clock.now(), progress);
        continue;
      }
      const since = this.clock.now();
      if (stack.StackStatus !== 'DELETE_IN_PROGRESS') {
        await withThrottleRetry(this.clock, () =>
          this.cfn.send(new DeleteStackCommand({ StackName: stack.StackId })),
        );
      }
      const final = await this.waitStable(stack.StackId!, since, progress);
      if (!final || final.StackStatus === 'DELETE_COMPLETE') return;
      throw new StackDeployError(
        stackName,
        final.StackStatus ?? 'UNKNOWN',
        await this.failureReasons(stackName, since),
      );
    }
  }

  /**
   * Waits until the stack's operation ends, printing the events newer than `since`. Returns the stack as it
   * ended, or undefined when it is gone.
   */
  async waitStable(stackName: string, since: number, progress: ProgressListener): Promise<Stack | undefined> {
    const seen = new Set<string>();
    const deadline = this.clock.now() + STACK_WAIT_TIMEOUT_MS;
    for (;;) {
      const stack = await this.describeForWait(stackName);
      for (const event of await this.eventsSince(stack?.StackId ?? stackName, since)) {
        if (seen.has(event.EventId!)) continue;
        seen.add(event.EventId!);
        progress({
          phase: 'stack',
          message: `${event.StackName} ${event.LogicalResourceId} ${event.ResourceStatus}${event.ResourceStatusReason ? ` (${event.ResourceStatusReason})` : ''}`,
        });
      }
      if (!stack || stack.StackStatus === 'DELETE_COMPLETE' || !isInProgress(stack.StackStatus)) return stack;
      if (this.clock.now() > deadline) {
        throw new UserError(
          `stack ${stackName} is still ${stack.StackStatus} after ${STACK_WAIT_TIMEOUT_MS / 3_600_000} hours; see its events`,
        );
      }
      await this.clock.sleep(STACK_POLL_MS);
    }
  }

  /** Like describe, but a deleted stack is returned (by id) with DELETE_COMPLETE. */
  private async describeForWait(stackName: string): Promise<Stack | undefined> {
    try {
      const out = await withThrottleRetry(this.clock, () =>
        this.cfn.send(new DescribeStacksCommand({ StackName: stackName })),
      );
      return out.Stacks?.[0];
    } catch (error) {
      if (/does not exist/.test(errorMessage(error))) return undefined;
      throw error;
    }
  }

  /** Events of the stack newer than `since`, oldest first (first page only: the newest events). */
  private async eventsSince(stackName: string, since: number): Promise<StackEvent[]> {
    try {
      const out = await withThrottleRetry(this.clock, () =>
        this.cfn.send(new DescribeStackEventsCommand({ StackName: stackName })),
      );
      return (out.StackEvents ?? []).filter((e) => (e.Timestamp?.getTime() ?? 0) >= since).reverse();
    } catch (error) {
      if (/does not exist/.test(errorMessage(error))) return [];
      throw error;
    }
  }

  /** The reasons of the failed resources since `since`. */
  async failureReasons(stackName: string, since: number): Promise<string[]> {
    const events = await this.eventsSince(stackName, since);
    const reasons = events
      .filter(
        (e) =>
          (/FAILED$/.test(e.ResourceStatus ?? '') ||
            // A failure of the stack itself (an import of a missing export) is only the rollback's reason.
            (e.ResourceType === 'AWS::CloudFormation::Stack' &&
              /^(UPDATE_)?ROLLBACK_IN_PROGRESS$/.test(e.ResourceStatus ?? '') &&
              !/^The following resource\(s\) failed/.test(e.ResourceStatusReason ?? ''))) &&
          e.ResourceStatusReason,
      )
      .filter((e) => !/Resource creation cancelled|Resource update cancelled/.test(e.ResourceStatusReason!))
      .map((e) => `${e.LogicalResourceId}: ${e.ResourceStatusReason}`);
    return [...new Set(reasons)];
  }

  private async waitChangeSet(changeSetId: string): Promise<DescribeChangeSetCommandOutput> {
    const deadline = this.clock.now() + 30 * 60_000;
    for (;;) {
      if (this.clock.now() > deadline) {
        throw new UserError(
          `change set ${changeSetId} was not ready after 30 minutes; see it in the CloudFormation console`,
        );
      }
      const out = await withThrottleRetry(this.clock, () =>
        this.cfn.send(new DescribeChangeSetCommand({ ChangeSetName: changeSetId })),
      );
      if (out.Status === 'CREATE_COMPLETE' || out.Status === 'FAILED') return out;
      await this.clock.sleep(STACK_POLL_MS / 2);
    }
  }

  private async changesOf(first: DescribeChangeSetCommandOutput): Promise<ChangeSummary[]> {
    const changes: Change[] = [...(first.Changes ?? [])];
    let token = first.NextToken;
    while (token) {
      const page = await withThrottleRetry(this.clock, () =>
        this.cfn.send(new DescribeChangeSetCommand({ ChangeSetName: first.ChangeSetId, NextToken: token })),
      );
      changes.push(...(page.Changes ?? []));
      token = page.NextToken;
    }
    return changes.map((c) => ({
      action: c.ResourceChange?.Action ?? 'Dynamic',
      logicalId: c.ResourceChange?.LogicalResourceId ?? '?',
      resourceType: c.ResourceChange?.ResourceType ?? '?',
      ...(c.ResourceChange?.Replacement ? { replacement: c.ResourceChange.Replacement } : {}),
    }));
  }

  private async deleteChangeSet(changeSetId: string): Promise<void> {
    try {
      await this.cfn.send(new DeleteChangeSetCommand({ ChangeSetName: changeSetId }));
    } catch {
      // Already gone (executed or deleted with its stack): nothing to clean.
    }
  }

  /**
   * Deletes the empty REVIEW_IN_PROGRESS stack a CREATE change set leaves behind. Best effort: a failure to clean
   * up never hides the error that made the deploy stop (`lanes ls` shows a stack left behind as failed).
   */
  private async deleteReviewStack(stackName: string): Promise<void> {
    try {
      const stack = await this.describe(stackName);
      if (stack?.StackStatus === 'REVIEW_IN_PROGRESS') {
        await withThrottleRetry(this.clock, () =>
          this.cfn.send(new DeleteStackCommand({ StackName: stack.StackId })),
        );
      }
    } catch {
      // Left behind; see above.
    }
  }
}

/** A stack's outputs as a record. */
export function outputsOf(stack: Stack | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of stack?.Outputs ?? []) if (o.OutputKey) out[o.OutputKey] = o.OutputValue ?? '';
  return out;
}

/** A stack's parameters as a record. */
export function parametersOf(stack: Stack | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of stack?.Parameters ?? []) if (p.ParameterKey) out[p.ParameterKey] = p.ParameterValue ?? '';
  return out;
}

/** A stack's tags as a record. */
export function tagsOf(stack: Stack | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of stack?.Tags ?? []) if (t.Key) out[t.Key] = t.Value ?? '';
  return out;
}

/** Formats a change set summary, one line per change. */
export function formatChanges(stackName: string, result: StackDeployResult): string[] {
  const lines = [...result.notes];
  if (result.changes.length === 0 && result.notes.length === 0) lines.push(`${stackName}: no changes`);
  for (const c of result.changes) {
    const verb =
      c.action === 'Add'
        ? 'create'
        : c.action === 'Remove'
          ? 'delete'
          : c.action === 'Modify'
            ? 'change'
            : c.action.toLowerCase();
    lines.push(
      `${stackName}: ${verb} ${c.logicalId} (${c.resourceType})${c.replacement === 'True' ? ' [replacement]' : ''}`,
    );
  }
  return lines;
}
