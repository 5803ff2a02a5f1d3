/**
 * Resolving the properties of a lane stack resource as CloudFormation passes them to the resource handler:
 * `Ref` (a parameter, a resource's physical id, `AWS::NoValue`), `Fn::If` with the stack's condition values,
 * `Fn::ImportValue` of `${SomeStackName}:Key`, `Fn::Sub` over parameters, `Fn::Select`/`Fn::Split`/`Fn::Join`.
 * `Fn::GetAtt` is left as written; other pseudo parameters than the region resolve to undefined.
 * Used by the fake's ELB and ECS handlers; the listener's forward actions are read here too.
 */

/** What resolution needs. */
export interface ResolveScope {
  readonly params: Readonly<Record<string, string>>;
  readonly conditions: ReadonlyMap<string, boolean>;
  /** The physical id of a resource of the stack. */
  resource(logicalId: string): string | undefined;
  /** The value of an export. */
  importValue(name: string): string | undefined;
  readonly region?: string;
}

const NO_VALUE = Symbol('AWS::NoValue');

function sub(text: string, scope: ResolveScope): string | undefined {
  let missing = false;
  const out = text.replace(/\$\{([A-Za-z0-9:]+)\}/g, (_m, name: string) => {
    const v = name === 'AWS::Region' ? scope.region : (scope.params[name] ?? scope.resource(name));
    if (v === undefined) missing = true;
    return v ?? '';
  });
  return missing ? undefined : out;
}

function resolveNode(node: unknown, scope: ResolveScope): unknown {
  if (Array.isArray(node)) {
    return node.map((n) => resolveNode(n, scope)).filter((n) => n !== NO_VALUE);
  }
  if (!node || typeof node !== 'object') return node;
  const o = node as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1) {
    const [key] = keys as [string];
    const v = o[key];
    switch (key) {
      case 'Ref': {
        const name = v as string;
        if (name === 'AWS::NoValue') return NO_VALUE;
        if (name === 'AWS::Region') return scope.region;
        return scope.params[name] ?? scope.resource(name);
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = v as [string, unknown, unknown];
        const value = scope.conditions.get(condition);
        if (value === undefined) throw new Error(`Fn::If: condition ${condition} is not declared`);
        return resolveNode(value ? whenTrue : whenFalse, scope);
      }
      case 'Fn::ImportValue': {
        const name = resolveNode(v, scope);
        return typeof name === 'string' ? scope.importValue(name) : undefined;
      }
      case 'Fn::Sub':
        return typeof v === 'string' ? sub(v, scope) : undefined;
      case 'Fn::Join': {
        const [sep, parts] = v as [string, unknown];
        const list = resolveNode(parts, scope);
        return Array.isArray(list) && list.every((x) => typeof x === 'string' || typeof x === 'number')
          ? list.join(sep)
          : undefined;
      }
      case 'Fn::Split': {
        const [sep, text] = v as [string, unknown];
        const s = resolveNode(text, scope);
        return typeof s === 'string' ? s.split(sep) : undefined;
      }
      case 'Fn::Select': {
        const [index, list] = v as [unknown, unknown];
        const l = resolveNode(list, scope);
        return Array.isArray(l) ? l[Number(resolveNode(index, scope))] : undefined;
      }
      case 'Fn::GetAtt':
        // Attributes exist only once the resource does; kept as written so callers can see what it names.
        return o;
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(o)) {
    const r = resolveNode(value, scope);
    if (r !== NO_VALUE) out[k] = r;
  }
  return out;
}

/** The value CloudFormation passes for `node` (undefined for `AWS::NoValue` and what cannot be resolved). */
export function resolveProperty(node: unknown, scope: ResolveScope): unknown {
  const r = resolveNode(node, scope);
  return r === NO_VALUE ? undefined : r;
}

/** One target group of a forward action with its weight. */
export interface WeightedTargetGroup {
  readonly targetGroupArn: string;
  readonly weight: number;
}

/**
 * The target groups of a rule's forward action, with weights: `TargetGroupArn` alone is weight 1 (the only
 * group); `ForwardConfig.TargetGroups` weights default to 1 when absent.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupTuple.html (Weight)
 */
export function forwardTargetGroups(actions: unknown, scope: ResolveScope): WeightedTargetGroup[] {
  const resolved = resolveProperty(actions, scope);
  const forward = Array.isArray(resolved)
    ? (resolved as Record<string, unknown>[]).find((a) => a.Type === 'forward')
    : undefined;
  if (!forward) return [];
  if (typeof forward.TargetGroupArn === 'string')
    return [{ targetGroupArn: forward.TargetGroupArn, weight: 1 }];
  const groups =
    (forward.ForwardConfig as { TargetGroups?: { TargetGroupArn?: unknown; Weight?: unknown }[] } | undefined)
      ?.TargetGroups ?? [];
  return groups
    .filter((g): g is { TargetGroupArn: string; Weight?: unknown } => typeof g.TargetGroupArn === 'string')
    .map((g) => ({
      targetGroupArn: g.TargetGroupArn,
      weight: g.Weight === undefined ? 1 : Number(g.Weight),
    }));
}

/**
 * The target group that receives a rule's requests: the one with the highest weight (the fake does not draw
 * weighted random choices; the templates only use 100/0 splits), or undefined when every weight is 0.
 */
export function liveTargetGroup(groups: readonly WeightedTargetGroup[]): string | undefined {
  const heaviest = [...groups].sort((a, b) => b.weight - a.weight)[0];
  return heaviest && heaviest.weight > 0 ? heaviest.targetGroupArn : undefined;
}
