/**
 * Finds the records in a parsed response body. A plain field path (`data`, `results.items`) is
 * turned into JSONPath; JSONPath expressions (`$...`) are evaluated by jsonpath-plus with script
 * evaluation disabled (a spec is data, never code).
 */
import { JSONPath } from 'jsonpath-plus';

export class RecordsPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordsPathError';
  }
}

export function toJsonPath(path: string): string {
  const trimmed = path.trim();
  if (trimmed.startsWith('$')) {
    return trimmed;
  }
  return `$.${trimmed}`;
}

/**
 * Returns the records at `path`: the elements of an array found there, or the object found there
 * as one record. A missing path or a scalar is an error (the API's shape is not what the spec says).
 */
export function extractRecords(body: unknown, path: string): unknown[] {
  const matches = JSONPath({ path: toJsonPath(path), json: body as object, wrap: true, eval: false }) as unknown[];
  if (matches.length === 0) {
    throw new RecordsPathError(`records path "${path}" matched nothing in the response`);
  }
  // `data` matches the array itself; `$.data[*]` matches its elements.
  if (matches.length === 1 && Array.isArray(matches[0])) {
    return matches[0] as unknown[];
  }
  for (const match of matches) {
    if (match === null || typeof match !== 'object' || Array.isArray(match)) {
      throw new RecordsPathError(
        `records path "${path}" matched a ${match === null ? 'null' : Array.isArray(match) ? 'nested array' : typeof match}; `
        + 'each record must be a JSON object',
      );
    }
  }
  return matches;
}
