/**
 * What the fake reads from a CloudFormation template: parameters (with their defaults), the `Conditions`
 * section, the `Rules` section, and the resources with their types, `Condition`, properties and dependencies
 * (DependsOn, Ref, Fn::GetAtt, ${X} in Fn::Sub) and the imports (`Fn::ImportValue` of `${SomeStackName}:Key`).
 * JSON and YAML templates are parsed fully into the same object model (long-form intrinsics). Short-form
 * YAML tags (`!Ref`, ...) are refused: no template ecs-lanes writes uses them, and reading them as plain
 * strings would silently drop references.
 */
import { parseDocument } from 'yaml';

/** An import of an export named `${stackParameter}:key`. */
export interface TemplateImport {
  readonly stackParameter: string;
  readonly key: string;
}

/** One resource of a template. */
export interface TemplateResource {
  readonly logicalId: string;
  readonly type: string;
  /** The name of the condition the resource is created under, when it has one. */
  readonly condition?: string;
  /** The resource's properties as written (long-form intrinsics). */
  readonly properties: Readonly<Record<string, unknown>>;
  /** Logical ids of the resources it depends on. */
  readonly dependsOn: readonly string[];
  /** Logical ids named in its `DependsOn` attribute (a subset of {@link dependsOn}). */
  readonly explicitDependsOn?: readonly string[];
  /**
   * Parameters it references, directly or through the conditions of an `Fn::If` in its properties (a change
   * of such a parameter changes the resource).
   */
  readonly parameters: readonly string[];
  /** The exports it imports. */
  readonly imports: readonly TemplateImport[];
}

/** A template parameter. */
export interface TemplateParameter {
  readonly hasDefault: boolean;
  /** The default, as CloudFormation passes it (a string). */
  readonly default?: string;
}

/** A rule of the template's `Rules` section. */
export interface TemplateRule {
  readonly ruleCondition?: unknown;
  readonly assertions: readonly { readonly assert: unknown; readonly description?: string }[];
}

/** What the fake reads from a template. */
export interface TemplateInfo {
  readonly parameters: ReadonlyMap<string, TemplateParameter>;
  /** The `Conditions` section: condition name to its (unevaluated) expression. */
  readonly conditions: Readonly<Record<string, unknown>>;
  readonly rules: ReadonlyMap<string, TemplateRule>;
  readonly resources: ReadonlyMap<string, TemplateResource>;
  /** Imports of the whole template (resources and outputs). */
  readonly imports: readonly TemplateImport[];
  /** Imports of the outputs. */
  readonly outputImports: readonly TemplateImport[];
}

interface TemplateDocument {
  Parameters?: Record<string, { Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Rules?: Record<
    string,
    { RuleCondition?: unknown; Assertions?: { Assert: unknown; AssertDescription?: string }[] }
  >;
  Resources?: Record<
    string,
    { Type: string; Condition?: string; DependsOn?: string | string[]; Properties?: Record<string, unknown> }
  >;
  Outputs?: unknown;
}

/** Parses a JSON or YAML template body into its object model. */
export function parseTemplate(body: string): TemplateDocument {
  try {
    return JSON.parse(body) as TemplateDocument;
  } catch {
    // not JSON: YAML
  }
  const doc = parseDocument(body);
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length) {
    throw new Error(
      `template: ${problems.map((p) => p.message).join('; ')}` +
        (problems.some((p) => /tag/i.test(p.message))
          ? ' (short-form intrinsic tags such as !Ref are not supported; write Ref:, Fn::Sub:, ...)'
          : ''),
    );
  }
  const value: unknown = doc.toJS();
  if (!value || typeof value !== 'object') throw new Error('template: not a mapping');
  return value as TemplateDocument;
}

/** Reads a template body. */
export function readTemplate(body: string): TemplateInfo {
  const doc = parseTemplate(body);
  const parameters = new Map<string, TemplateParameter>();
  for (const [name, p] of Object.entries(doc.Parameters ?? {})) {
    parameters.set(
      name,
      p.Default === undefined ? { hasDefault: false } : { hasDefault: true, default: String(p.Default) },
    );
  }
  const rules = new Map<string, TemplateRule>();
  for (const [name, r] of Object.entries(doc.Rules ?? {})) {
    rules.set(name, {
      ...(r.RuleCondition !== undefined ? { ruleCondition: r.RuleCondition } : {}),
      assertions: (r.Assertions ?? []).map((a) => ({
        assert: a.Assert,
        ...(a.AssertDescription !== undefined ? { description: a.AssertDescription } : {}),
      })),
    });
  }
  const names = new Set(Object.keys(doc.Resources ?? {}));
  const resources = new Map<string, TemplateResource>();
  const allImports: TemplateImport[] = [];
  for (const [logicalId, r] of Object.entries(doc.Resources ?? {})) {
    const refs = collectRefs(r.Properties);
    const explicit =
      r.DependsOn === undefined ? [] : Array.isArray(r.DependsOn) ? r.DependsOn : [r.DependsOn];
    const imports = collectImports(r.Properties);
    allImports.push(...imports);
    resources.set(logicalId, {
      logicalId,
      type: r.Type,
      ...(r.Condition !== undefined ? { condition: r.Condition } : {}),
      properties: r.Properties ?? {},
      dependsOn: [...new Set([...explicit, ...refs.filter((n) => names.has(n) && n !== logicalId)])],
      ...(explicit.length ? { explicitDependsOn: explicit } : {}),
      parameters: [
        ...new Set([
          ...refs.filter((n) => parameters.has(n)),
          ...conditionParameters(collectIfConditions(r.Properties), doc.Conditions ?? {}).filter((n) =>
            parameters.has(n),
          ),
        ]),
      ],
      imports,
    });
  }
  const outputImports = collectImports(doc.Outputs);
  return {
    parameters,
    conditions: doc.Conditions ?? {},
    rules,
    resources,
    imports: unique([...allImports, ...outputImports]),
    outputImports,
  };
}

/** The condition names of every `Fn::If` in `node`. */
function collectIfConditions(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) collectIfConditions(n, out);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'Fn::If' && Array.isArray(value) && typeof value[0] === 'string') out.push(value[0]);
      collectIfConditions(value, out);
    }
  }
  return out;
}

/** The parameters the named conditions read, following `Condition` references between conditions. */
function conditionParameters(names: readonly string[], conditions: Record<string, unknown>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name) || !(name in conditions)) return;
    seen.add(name);
    const walk = (node: unknown) => {
      if (Array.isArray(node)) for (const n of node) walk(n);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'Ref' && typeof value === 'string') out.push(value);
          else if (key === 'Condition' && typeof value === 'string') visit(value);
          else walk(value);
        }
      }
    };
    walk(conditions[name]);
  };
  for (const n of names) visit(n);
  return out;
}

function unique(imports: readonly TemplateImport[]): TemplateImport[] {
  const seen = new Map<string, TemplateImport>();
  for (const i of imports) seen.set(`${i.stackParameter}:${i.key}`, i);
  return [...seen.values()];
}

function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const n of node) collectRefs(n, out);
  } else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'Ref' && typeof value === 'string') out.push(value);
      else if (key === 'Fn::GetAtt') {
        const target = Array.isArray(value)
          ? value[0]
          : typeof value === 'string'
            ? value.split('.')[0]
            : undefined;
        if (typeof target === 'string') out.push(target);
      } else if (key === 'Fn::Sub') {
        const text = Array.isArray(value) ? value[0] : value;
        if (typeof text === 'string')
          for (const m of text.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}/g)) out.push(m[1]!);
        if (Array.isArray(value)) collectRefs(value[1], out);
      } else collectRefs(value, out);
    }
  }
  return out;
}

const IMPORT_PATTERN = /^\$\{(\w+StackName)\}:([A-Za-z0-9-]+)$/;

function collectImports(node: unknown, out: TemplateImport[] = []): TemplateImport[] {
  if (Array.isArray(node)) {
    for (const n of node) collectImports(n, out);
  } else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'Fn::ImportValue') {
        const sub =
          value && typeof value === 'object' && !Array.isArray(value)
            ? (value as Record<string, unknown>)['Fn::Sub']
            : undefined;
        const m = typeof sub === 'string' ? IMPORT_PATTERN.exec(sub) : null;
        if (m) out.push({ stackParameter: m[1]!, key: m[2]! });
      } else collectImports(value, out);
    }
  }
  return unique(out);
}

/** Resources in creation order: every resource after the ones it depends on (dependencies absent from the template are ignored). */
export function creationOrder(info: Pick<TemplateInfo, 'resources'>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const dep of info.resources.get(id)?.dependsOn ?? []) if (info.resources.has(dep)) visit(dep);
    out.push(id);
  };
  for (const id of info.resources.keys()) visit(id);
  return out;
}

/** Resources in deletion order: the reverse of creation (dependents first). */
export function deletionOrder(info: Pick<TemplateInfo, 'resources'>): string[] {
  return creationOrder(info).reverse();
}
