/**
 * The little of a CloudFormation template the fake needs: parameter names (with or without defaults), the
 * resources with their types and dependencies (DependsOn, Ref, Fn::GetAtt, ${X} in Fn::Sub), and the imports
 * (`Fn::ImportValue` of `${SomeStackName}:Key`). JSON templates are read fully; YAML templates through a
 * line scanner good for the block style CDK and hand-written templates use.
 */

/** One resource of a template. */
export interface TemplateResource {
  readonly logicalId: string;
  readonly type: string;
  /** Logical ids of the resources it depends on. */
  readonly dependsOn: readonly string[];
  /** Parameters it references. */
  readonly parameters: readonly string[];
}

/** What the fake reads from a template. */
export interface TemplateInfo {
  /** Parameter names, with whether each has a default. */
  readonly parameters: ReadonlyMap<string, { readonly hasDefault: boolean }>;
  readonly resources: ReadonlyMap<string, TemplateResource>;
  /** Imported export names as `${ParamName}:Key` patterns. */
  readonly imports: readonly { readonly stackParameter: string; readonly key: string }[];
}

const IMPORT_PATTERN = /\$\{(\w+)\}:([A-Za-z0-9-]+)/g;

/** Reads a template body. */
export function readTemplate(body: string): TemplateInfo {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return readYaml(body);
  }
  const doc = json as {
    Parameters?: Record<string, { Default?: unknown }>;
    Resources?: Record<string, { Type: string; DependsOn?: string | string[]; Properties?: unknown }>;
  };
  const parameters = new Map<string, { hasDefault: boolean }>();
  for (const [name, p] of Object.entries(doc.Parameters ?? {})) {
    parameters.set(name, { hasDefault: p.Default !== undefined });
  }
  const names = new Set(Object.keys(doc.Resources ?? {}));
  const resources = new Map<string, TemplateResource>();
  for (const [logicalId, r] of Object.entries(doc.Resources ?? {})) {
    const refs = collectRefs(r.Properties);
    const explicit =
      r.DependsOn === undefined ? [] : Array.isArray(r.DependsOn) ? r.DependsOn : [r.DependsOn];
    resources.set(logicalId, {
      logicalId,
      type: r.Type,
      dependsOn: [...new Set([...explicit, ...refs.filter((n) => names.has(n))])],
      parameters: [...new Set(refs.filter((n) => parameters.has(n)))],
    });
  }
  return { parameters, resources, imports: importsOf(body) };
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

function importsOf(body: string) {
  const out: { stackParameter: string; key: string }[] = [];
  for (const m of body.matchAll(IMPORT_PATTERN)) {
    if (/StackName$/.test(m[1]!)) out.push({ stackParameter: m[1]!, key: m[2]! });
  }
  return out;
}

/** Top-level sections of a block-style YAML document, as lines. */
function yamlSections(body: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of body.split(/\r?\n/)) {
    const top = /^([A-Za-z]+):/.exec(line);
    if (top) {
      current = [];
      sections.set(top[1]!, current);
    } else if (current) current.push(line);
  }
  return sections;
}

/** Entries (name, lines) of a section at the given indent. */
function yamlEntries(lines: readonly string[]): Map<string, string[]> {
  const entries = new Map<string, string[]>();
  const indent = lines.find((l) => l.trim() && !l.trim().startsWith('#'))?.match(/^( +)/)?.[1]?.length ?? 2;
  let current: string[] | undefined;
  for (const line of lines) {
    const m = new RegExp(`^ {${indent}}["']?([A-Za-z0-9]+)["']?:`).exec(line);
    if (m) {
      current = [line];
      entries.set(m[1]!, current);
    } else if (current) current.push(line);
  }
  return entries;
}

function readYaml(body: string): TemplateInfo {
  const sections = yamlSections(body);
  const parameters = new Map<string, { hasDefault: boolean }>();
  for (const [name, lines] of yamlEntries(sections.get('Parameters') ?? [])) {
    parameters.set(name, { hasDefault: lines.some((l) => /^\s+Default:/.test(l)) });
  }
  const entries = yamlEntries(sections.get('Resources') ?? []);
  const names = new Set(entries.keys());
  const resources = new Map<string, TemplateResource>();
  for (const [logicalId, lines] of entries) {
    const text = lines.join('\n');
    const q = `["']?`;
    const type = new RegExp(`^\\s+Type:\\s*${q}([A-Za-z0-9:]+)`, 'm').exec(text)?.[1] ?? 'Unknown';
    const refs: string[] = [];
    for (const m of text.matchAll(new RegExp(`(?:!Ref\\s+|${q}Ref${q}:\\s*)${q}([A-Za-z0-9]+)`, 'g')))
      refs.push(m[1]!);
    for (const m of text.matchAll(
      new RegExp(`(?:!GetAtt\\s+|${q}Fn::GetAtt${q}:\\s*(?:\\[\\s*|\\n\\s*-\\s*)?)${q}([A-Za-z0-9]+)`, 'g'),
    ))
      refs.push(m[1]!);
    for (const m of text.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}/g)) refs.push(m[1]!);
    const depends: string[] = [];
    const inline = new RegExp(`^\\s+DependsOn:\\s*(\\[[^\\]]*\\]|${q}[A-Za-z0-9]+${q})\\s*$`, 'm').exec(text);
    if (inline)
      depends.push(
        ...inline[1]!
          .replace(/[[\]\s"']/g, '')
          .split(',')
          .filter(Boolean),
      );
    else {
      const at = lines.findIndex((l) => /^\s+DependsOn:\s*$/.test(l));
      if (at !== -1) {
        for (const l of lines.slice(at + 1)) {
          const item = new RegExp(`^\\s+-\\s*${q}([A-Za-z0-9]+)`).exec(l);
          if (!item) break;
          depends.push(item[1]!);
        }
      }
    }
    resources.set(logicalId, {
      logicalId,
      type,
      dependsOn: [...new Set([...depends, ...refs.filter((n) => names.has(n) && n !== logicalId)])],
      parameters: [...new Set(refs.filter((n) => parameters.has(n)))],
    });
  }
  return { parameters, resources, imports: importsOf(body) };
}

/** Resources in creation order: every resource after the ones it depends on. */
export function creationOrder(info: TemplateInfo): string[] {
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
export function deletionOrder(info: TemplateInfo): string[] {
  return creationOrder(info).reverse();
}
