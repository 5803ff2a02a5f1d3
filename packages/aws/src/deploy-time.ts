/**
 * The deploy time of a lane stack (core's `LIFECYCLE_TAGS.deployedAt`) moves only when a deploy changes the stack.
 *
 * Every deploy writes the deploy time into the stack's tags, and a change of stack tags alone is a change: CloudFormation
 * updates the stack and propagates its tags to the resources ("Tags", in
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStack.html). A redeploy of exactly what
 * runs (a rollback to the running version) would then never be empty. So when the template (byte for byte), the
 * parameters and every other tag are what the stack has, the deploy keeps the stack's deploy time: CloudFormation
 * gets nothing to change, answers with an empty change set (status `FAILED`, reason "The submitted information
 * didn't contain changes"), and the lane reports that nothing changed.
 */
import { LIFECYCLE_TAGS } from '@ecs-lanes/core';

/** Stack states whose template, parameters and tags are what runs (a stack in any other state is deployed anew). */
const SETTLED_STATES: ReadonlySet<string> = new Set([
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE',
]);

/** A lane stack as deployed: what a deploy submits, or what the stack has. */
export interface LaneStackState {
  /** The template body (the stack's as `GetTemplate` returns it, stage `Original`). */
  readonly templateBody: string | undefined;
  readonly parameters: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  /** The stack's status (`UPDATE_COMPLETE`); unused for what a deploy submits. @default none (not settled) */
  readonly status?: string;
}

function sameRecord(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
  except?: string,
): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  if (except !== undefined) keys.delete(except);
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * The tags `next` deploys with: its own, except that the stack's current deploy time is kept when `next` changes
 * nothing else of `current` (a settled stack with the same template, parameters and other tags).
 * @returns `next.tags` itself when the deploy time moves, else a copy with the current deploy time
 */
export function tagsKeepingDeployTime(
  next: LaneStackState,
  current: LaneStackState | undefined,
): Readonly<Record<string, string>> {
  const key = LIFECYCLE_TAGS.deployedAt;
  const kept = current?.tags[key];
  if (
    current === undefined ||
    kept === undefined ||
    next.tags[key] === undefined ||
    !SETTLED_STATES.has(current.status ?? '') ||
    current.templateBody === undefined ||
    current.templateBody !== next.templateBody ||
    !sameRecord(current.parameters, next.parameters) ||
    !sameRecord(current.tags, next.tags, key)
  ) {
    return next.tags;
  }
  return { ...next.tags, [key]: kept };
}
