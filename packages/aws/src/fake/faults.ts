/**
 * Faults a test plans for the fake: the next calls of an operation answer with an AWS error (a 5xx after
 * which the SDK retries, a `PriorityInUse`, an `AccessDenied`...), to prove how the control plane explains and
 * survives them. The fake's own rules never come from here: this is only for errors AWS may answer at any
 * time (server errors, races with other callers).
 */

/** An AWS error as the service would answer it. */
export interface PlannedFault {
  /** The error code (`ServiceUnavailable`, `PriorityInUse`). */
  readonly name: string;
  readonly message: string;
  /** HTTP status; 5xx makes it a server fault the SDK retries. @default 400 */
  readonly status?: number;
}

/** The faults planned per operation, consumed in order. */
export class FaultPlan {
  private readonly pending = new Map<string, { fault: PlannedFault; left: number }[]>();

  /** The next `count` calls of `operation` (`DescribeStacks`) fail with `fault`. */
  fail(operation: string, fault: PlannedFault, count = 1): void {
    const queue = this.pending.get(operation) ?? [];
    queue.push({ fault, left: count });
    this.pending.set(operation, queue);
  }

  /** The fault the next call of `operation` answers with, if one is planned (and consumes it). */
  take(operation: string): PlannedFault | undefined {
    const queue = this.pending.get(operation);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    head.left--;
    if (head.left <= 0) queue.shift();
    return head.fault;
  }

  /** How many planned faults of `operation` are still to come. */
  remaining(operation: string): number {
    return (this.pending.get(operation) ?? []).reduce((n, f) => n + f.left, 0);
  }
}
