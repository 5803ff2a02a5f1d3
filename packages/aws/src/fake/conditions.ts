/**
 * A small evaluator of CloudFormation conditions, as the fake needs them: `Fn::Equals`, `Fn::Not`, `Fn::And`,
 * `Fn::Or`, `Condition` (a named condition of the template) and `Ref` to a parameter (its value, else its
 * default). Anything else is refused rather than guessed.
 *
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-conditions.html
 */
import type { TemplateInfo, TemplateResource } from './template.js';

/** Parameter values (strings, as CloudFormation passes them) and the template's named conditions. */
export interface ConditionScope {
  readonly parameters: Readonly<Record<string, string>>;
  readonly defaults?: Readonly<Record<string, string | undefined>>;
  readonly conditions: Readonly<Record<string, unknown>>;
}

function scalar(node: unknown, scope: ConditionScope): string {
  if (typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean') return String(node);
  if (node && typeof node === 'object' && !Array.isArray(node)) {
    const entries = Object.entries(node);
    if (entries.length === 1 && entries[0]![0] === 'Ref') {
      const name = entries[0]![1];
      if (typeof name !== 'string') throw new Error('Ref needs a parameter name');
      const value = scope.parameters[name] ?? scope.defaults?.[name];
      if (value === undefined) throw new Error(`Ref ${name}: no such parameter value (or default)`);
      return value;
    }
  }
  throw new Error(`unsupported value in a condition: ${JSON.stringify(node)}`);
}

/** Evaluates one condition expression. */
export function evaluateCondition(node: unknown, scope: ConditionScope, visiting: string[] = []): boolean {
  if (!node || typeof node !== 'object' || Array.isArray(node))
    throw new Error(`unsupported condition: ${JSON.stringify(node)}`);
  const entries = Object.entries(node);
  if (entries.length !== 1) throw new Error(`a condition has exactly one function: ${JSON.stringify(node)}`);
  const [fn, arg] = entries[0]!;
  const list = (n: number | [number, number]) => {
    const [min, max] = typeof n === 'number' ? [n, n] : n;
    if (!Array.isArray(arg) || arg.length < min || arg.length > max)
      throw new Error(`${fn} takes ${min === max ? min : `${min} to ${max}`} arguments`);
    return arg as unknown[];
  };
  switch (fn) {
    case 'Fn::Equals': {
      const [a, b] = list(2);
      return scalar(a, scope) === scalar(b, scope);
    }
    case 'Fn::Not':
      return !evaluateCondition(list(1)[0], scope, visiting);
    case 'Fn::And':
      return list([2, 10]).every((c) => evaluateCondition(c, scope, visiting));
    case 'Fn::Or':
      return list([2, 10]).some((c) => evaluateCondition(c, scope, visiting));
    case 'Condition':
      return evaluateNamed(arg, scope, visiting);
    default:
      throw new Error(`unsupported function in a condition: ${fn}`);
  }
}

function evaluateNamed(name: unknown, scope: ConditionScope, visiting: string[]): boolean {
  if (typeof name !== 'string') throw new Error('Condition needs a condition name');
  if (!(name in scope.conditions)) throw new Error(`Condition ${name} is not declared in Conditions`);
  if (visiting.includes(name)) throw new Error(`circular conditions: ${[...visiting, name].join(' -> ')}`);
  return evaluateCondition(scope.conditions[name], scope, [...visiting, name]);
}

/** Every named condition of the template, evaluated with the given parameter values. */
export function evaluateConditions(
  info: Pick<TemplateInfo, 'parameters' | 'conditions'>,
  parameters: Readonly<Record<string, string>>,
): Map<string, boolean> {
  const scope = scopeOf(info, parameters);
  return new Map(Object.keys(info.conditions).map((name) => [name, evaluateNamed(name, scope, [])]));
}

/** The evaluation scope of a template with the given parameter values. */
export function scopeOf(
  info: Pick<TemplateInfo, 'parameters' | 'conditions'>,
  parameters: Readonly<Record<string, string>>,
): ConditionScope {
  const defaults = Object.fromEntries([...info.parameters].map(([k, v]) => [k, v.default]));
  return { parameters, defaults, conditions: info.conditions };
}

/**
 * The template as CloudFormation deploys it with these parameter values: only the resources whose condition
 * holds (or that have none), their dependencies on skipped resources dropped, and the imports of what is kept.
 */
export function withConditions(
  info: TemplateInfo,
  parameters: Readonly<Record<string, string>>,
): TemplateInfo {
  const values = evaluateConditions(info, parameters);
  const kept = new Map<string, TemplateResource>();
  for (const [id, r] of info.resources) {
    if (r.condition !== undefined) {
      const value = values.get(r.condition);
      if (value === undefined)
        throw new Error(`resource ${id}: condition ${r.condition} is not declared in Conditions`);
      if (!value) continue;
    }
    kept.set(id, r);
  }
  // A DependsOn naming a resource that its condition leaves out is a template error: "Template format
  // error: Unresolved resource dependencies [X] in the Resources block of the template" (CloudFormation
  // resolves DependsOn before conditions drop resources; a Ref is safe only inside the Fn::If branch taken).
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html
  const unresolved = [...kept.values()]
    .flatMap((r) => r.explicitDependsOn ?? [])
    .filter((d) => info.resources.has(d) && !kept.has(d));
  if (unresolved.length) {
    throw new Error(
      `Template format error: Unresolved resource dependencies [${[...new Set(unresolved)].join(', ')}] in the Resources block of the template`,
    );
  }
  const resources = new Map<string, TemplateResource>();
  for (const [id, r] of kept) resources.set(id, { ...r, dependsOn: r.dependsOn.filter((d) => kept.has(d)) });
  const imports = new Map<string, TemplateInfo['imports'][number]>();
  for (const i of [...[...kept.values()].flatMap((r) => r.imports), ...info.outputImports])
    imports.set(`${i.stackParameter}:${i.key}`, i);
  return { ...info, resources, imports: [...imports.values()] };
}

/** The first failed assertion of the template's `Rules` with these values, as CloudFormation reports it. */
export function failedRuleAssertion(
  info: TemplateInfo,
  parameters: Readonly<Record<string, string>>,
): string | undefined {
  const scope = scopeOf(info, parameters);
  for (const [name, rule] of info.rules) {
    if (rule.ruleCondition !== undefined && !evaluateCondition(rule.ruleCondition, scope)) continue;
    for (const a of rule.assertions) {
      if (!evaluateCondition(a.assert, scope)) return a.description ?? `Template rule ${name} failed`;
    }
  }
  return undefined;
}
