/**
 * The fake's IAM policy evaluator: whether a principal whose identity policies are given may make one request
 * (an action on a resource, with a request context). It is the part of IAM's policy evaluation logic that an
 * identity-based policy of one role in one account needs:
 * - an explicit `Deny` in any statement wins; else an `Allow` that matches allows; else the request is denied
 *   implicitly ({@link https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 *   Policy evaluation logic});
 * - `Action`/`NotAction` match case-insensitively, with `*` and `?` wildcards
 *   ({@link https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html IAM JSON
 *   policy elements: Action});
 * - `Resource`/`NotResource` match ARNs case-sensitively, `*` and `?` within a colon-separated segment; a `*` that
 *   ends a segment may extend across colons; `"*"` alone matches every resource
 *   ({@link https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html IAM JSON
 *   policy elements: Resource});
 * - `Condition`: every operator must hold (AND), any value of one key may match (OR); a key absent from the
 *   request makes a positive operator false and a negated one true; `...IfExists` holds when the key is absent
 *   ({@link https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 *   IAM JSON policy elements: Condition operators};
 *   {@link https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
 *   Create a condition with multiple context keys or values}). Operators: `StringEquals`, `StringNotEquals`,
 *   `StringEqualsIgnoreCase`, `StringLike`, `StringNotLike`, `ArnEquals`, `ArnLike`, `ArnNotEquals`, `ArnNotLike`,
 *   `Bool`, `Null`, with `ForAnyValue:`/`ForAllValues:` and `IfExists`. Any other operator throws: the fake
 *   refuses to guess.
 *
 * Not modelled (see docs/aws-fidelity.md): resource-based policies, permissions boundaries, session policies,
 * SCPs/RCPs, cross-account access, numeric and date operators, policy variables (`${aws:username}`).
 */

/** One statement of an IAM policy document. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** An IAM policy document (`Version` is not checked). */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: PolicyStatement | readonly PolicyStatement[];
}

/** One request as IAM authorizes it. */
export interface IamRequest {
  /** `service:Action`, for example `cloudformation:CreateChangeSet`. */
  readonly action: string;
  /** The resource ARN, or `*` for an action without resource-level permissions. */
  readonly resource: string;
  /** Condition keys of the request context (`iam:PassedToService`, `aws:SourceAccount`, ...). */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

/** The outcome of {@link evaluatePolicies}. */
export interface IamDecision {
  readonly decision: 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';
  /** The statement that decided (the deny, or the first allow), as `Sid` or its index. */
  readonly statement?: string;
}

const list = <T>(v: T | readonly T[] | undefined): readonly T[] =>
  v === undefined ? [] : Array.isArray(v) ? (v as readonly T[]) : [v as T];

function escapeRegExp(s: string): string {
  return s.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/** An `Action` pattern as a regular expression (case-insensitive, `*`/`?` wildcards). */
function actionPattern(pattern: string): RegExp {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escapeRegExp(c))).join('');
  return new RegExp(`^${body}$`, 'i');
}

/** A `Resource` pattern as a regular expression (see the module doc for the segment rule). */
function resourcePattern(pattern: string): RegExp {
  if (pattern === '*') return /^.*$/s;
  let body = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      const next = pattern[i + 1];
      body += next === undefined || next === ':' ? '.*' : '[^:]*';
    } else if (c === '?') body += '[^:]';
    else body += escapeRegExp(c);
  }
  return new RegExp(`^${body}$`, 's');
}

/** True when `value` matches the IAM wildcard `pattern` (`*`, `?`; case-sensitive unless `ignoreCase`). */
export function iamLike(pattern: string, value: string, ignoreCase = false): boolean {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escapeRegExp(c))).join('');
  return new RegExp(`^${body}$`, ignoreCase ? 'is' : 's').test(value);
}

/** True when the statement's `Action`/`NotAction` covers `action`. */
export function actionMatches(statement: PolicyStatement, action: string): boolean {
  if (statement.NotAction !== undefined)
    return !list(statement.NotAction).some((p) => actionPattern(p).test(action));
  return list(statement.Action).some((p) => actionPattern(p).test(action));
}

/** True when the statement's `Resource`/`NotResource` covers `resource`. */
export function resourceMatches(statement: PolicyStatement, resource: string): boolean {
  if (statement.NotResource !== undefined)
    return !list(statement.NotResource).some((p) => resourcePattern(p).test(resource));
  return list(statement.Resource).some((p) => resourcePattern(p).test(resource));
}

type Compare = (policyValue: string, requestValue: string) => boolean;

const OPERATORS: Record<string, { compare: Compare; negated: boolean }> = {
  StringEquals: { compare: (p, r) => p === r, negated: false },
  StringNotEquals: { compare: (p, r) => p === r, negated: true },
  StringEqualsIgnoreCase: { compare: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { compare: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: true },
  StringLike: { compare: (p, r) => iamLike(p, r), negated: false },
  StringNotLike: { compare: (p, r) => iamLike(p, r), negated: true },
  ArnEquals: { compare: (p, r) => p === r, negated: false },
  ArnNotEquals: { compare: (p, r) => p === r, negated: true },
  ArnLike: { compare: (p, r) => resourcePattern(p).test(r), negated: false },
  ArnNotLike: { compare: (p, r) => resourcePattern(p).test(r), negated: true },
  Bool: { compare: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
};

/** Whether one operator block (`{"StringEquals": {"k": "v"}}`) holds for the request context. */
function operatorHolds(
  name: string,
  keys: Readonly<Record<string, string | readonly string[]>>,
  context: Readonly<Record<string, string | readonly string[]>>,
): boolean {
  let operator = name;
  let setOp: 'ForAnyValue' | 'ForAllValues' | undefined;
  const colon = operator.indexOf(':');
  if (colon !== -1) {
    setOp = operator.slice(0, colon) as 'ForAnyValue' | 'ForAllValues';
    if (setOp !== 'ForAnyValue' && setOp !== 'ForAllValues')
      throw new Error(`the fake's IAM evaluator does not know the condition set operator ${name}`);
    operator = operator.slice(colon + 1);
  }
  const ifExists = operator.endsWith('IfExists');
  if (ifExists) operator = operator.slice(0, -'IfExists'.length);
  return Object.entries(keys).every(([key, raw]) => {
    const policyValues = list(raw).map(String);
    const found = Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
    if (operator === 'Null') {
      const wantsAbsent = policyValues.some((v) => v.toLowerCase() === 'true');
      return wantsAbsent === (found === undefined);
    }
    const op = OPERATORS[operator];
    if (!op) throw new Error(`the fake's IAM evaluator does not know the condition operator ${name}`);
    if (found === undefined) return ifExists || op.negated || setOp === 'ForAllValues';
    const requestValues = list(found).map(String);
    const matchesAny = (r: string) => policyValues.some((p) => op.compare(p, r));
    if (setOp === 'ForAllValues') {
      return requestValues.every((r) => (op.negated ? !matchesAny(r) : matchesAny(r)));
    }
    // Single-valued keys and ForAnyValue: some request value matches some policy value (negated: none does).
    const any = requestValues.some(matchesAny);
    return op.negated ? !any : any;
  });
}

/** True when every condition of the statement holds for `context`. */
export function conditionsHold(
  statement: PolicyStatement,
  context: Readonly<Record<string, string | readonly string[]>> = {},
): boolean {
  return Object.entries(statement.Condition ?? {}).every(([name, keys]) =>
    operatorHolds(name, keys, context),
  );
}

/** Evaluates a principal's identity policies for one request (see the module doc). */
export function evaluatePolicies(policies: readonly PolicyDocument[], request: IamRequest): IamDecision {
  let allowedBy: string | undefined;
  for (const [p, doc] of policies.entries()) {
    for (const [i, s] of list(doc.Statement).entries()) {
      if (!actionMatches(s, request.action) || !resourceMatches(s, request.resource)) continue;
      if (!conditionsHold(s, request.context)) continue;
      const id = s.Sid ?? `policy ${p} statement ${i}`;
      if (s.Effect === 'Deny') return { decision: 'ExplicitDeny', statement: id };
      allowedBy ??= id;
    }
  }
  return allowedBy ? { decision: 'Allow', statement: allowedBy } : { decision: 'ImplicitDeny' };
}

/**
 * The message AWS returns when a request is denied, for example
 * `User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: cloudformation:DeleteStack on resource:
 * arn:... with an explicit deny in an identity-based policy`.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
 */
export function accessDeniedMessage(principal: string, request: IamRequest, decision: IamDecision): string {
  const why =
    decision.decision === 'ExplicitDeny'
      ? 'with an explicit deny in an identity-based policy'
      : 'because no identity-based policy allows the action';
  return `User: ${principal} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`;
}
