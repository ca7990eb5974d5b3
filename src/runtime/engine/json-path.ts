/**
 * Dotted field paths (`meta.next`, `owner.login`) and JSONPath (`$.data[*]`) over parsed JSON.
 * JSONPath goes through jsonpath-plus with script evaluation off (a spec is data, never code).
 */
import { JSONPath } from 'jsonpath-plus';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The member names of a path that names one value (`data`, `$.data`, `meta.next`; `$` is the root), or undefined. */
function memberNames(path: string): string[] | undefined {
  let p = path.trim();
  if (p === '$') return [];
  if (p.startsWith('$.')) p = p.slice(2);
  const names = p.split('.');
  return names.every((name) => NAME.test(name)) ? names : undefined;
}

/**
 * The member names of a records path that names one value or the elements of one array
 * (`data`, `$.data`, `result.items`, each also with `[*]` after it), or undefined for any other
 * JSONPath (filters, wildcards in the middle, recursive descent).
 */
export function plainMemberPath(path: string): string[] | undefined {
  const p = path.trim();
  return memberNames(p.endsWith('[*]') ? p.slice(0, -3) : p);
}

export function toJsonPath(path: string): string {
  const trimmed = path.trim();
  return trimmed.startsWith('$') ? trimmed : `$.${trimmed}`;
}

/** Every value at a path (JSONPath semantics). */
export function queryAll(document: unknown, path: string): unknown[] {
  if (document === null || typeof document !== 'object') {
    return path.trim() === '$' ? [document] : [];
  }
  // The usual paths (`data`, `meta.next`) are looked up directly: JSONPath evaluation costs more
  // than the lookup by far, and the engine asks for the records path of every page.
  const names = memberNames(path);
  if (names) {
    return memberAt(document, names);
  }
  return JSONPath({ path: toJsonPath(path), json: document as object, wrap: true, eval: false }) as unknown[];
}

/**
 * What JSONPath finds at a path of member names: a value's own member of that name (which
 * includes the `length` of an array or a non-empty string), nothing where there is none.
 */
function memberAt(document: object, names: ReadonlyArray<string>): unknown[] {
  let value: unknown = document;
  for (const name of names) {
    // As jsonpath-plus does: no member of a falsy value, not even the length of "".
    if (!value || !Object.prototype.hasOwnProperty.call(value, name)) {
      return [];
    }
    value = (value as Record<string, unknown>)[name];
  }
  return [value];
}

/** The first value at a path, or undefined. */
export function queryFirst(document: unknown, path: string): unknown {
  return queryAll(document, path)[0];
}

/** A copy of `record` with only the given dotted fields, nesting kept. */
export function selectFields(record: unknown, fields: ReadonlyArray<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const keys = field.split('.');
    let source: any = record;
    for (const key of keys) {
      source = source !== null && typeof source === 'object' ? source[key] : undefined;
    }
    if (source === undefined) continue;
    let target = out;
    keys.slice(0, -1).forEach((key) => {
      target[key] = (target[key] as Record<string, unknown>) ?? {};
      target = target[key] as Record<string, unknown>;
    });
    target[keys[keys.length - 1]] = source;
  }
  return out;
}
