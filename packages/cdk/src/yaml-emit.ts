/**
 * A minimal YAML emitter for CloudFormation templates (objects, arrays, strings, numbers, booleans).
 * Strings are always double-quoted with JSON escapes, which YAML reads back verbatim, so no value can be
 * mistaken for another type; keys are plain when safe.
 */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.\-/]*$/;

function key(k: string): string {
  return PLAIN_KEY.test(k) ? k : JSON.stringify(k);
}

function scalar(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  throw new Error(`cannot emit ${typeof v} as YAML`);
}

function isEmpty(v: unknown): boolean {
  return (
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === 'object' && v !== null && Object.keys(v).length === 0)
  );
}

function emit(v: unknown, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const item of v) {
      if (typeof item === 'object' && item !== null && !isEmpty(item)) {
        const lines: string[] = [];
        emit(item, `${indent}  `, lines);
        out.push(`${indent}- ${lines[0]!.slice(indent.length + 2)}`, ...lines.slice(1));
      } else {
        out.push(`${indent}- ${isEmpty(item) ? (Array.isArray(item) ? '[]' : '{}') : scalar(item)}`);
      }
    }
    return;
  }
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (typeof val === 'object' && val !== null && !isEmpty(val)) {
      out.push(`${indent}${key(k)}:`);
      emit(val, Array.isArray(val) ? `${indent}  ` : `${indent}  `, out);
    } else {
      out.push(`${indent}${key(k)}: ${isEmpty(val) ? (Array.isArray(val) ? '[]' : '{}') : scalar(val)}`);
    }
  }
}

/** `value` (a JSON-compatible object) as YAML text. */
export function toYaml(value: Record<string, unknown>): string {
  const out: string[] = [];
  emit(value, '', out);
  return `${out.join('\n')}\n`;
}
