/**
 * Binds a deployed poller to the spec its construct wrote. The poller runs the spec in its event,
 * so whoever may invoke it (or start its state machine) could otherwise point the feed's
 * credentials at another host. The construct puts the spec's fingerprint in the poller's
 * environment; the poller refuses an event whose spec does not match it, before any request.
 *
 * Values known only at deployment (a secret's ARN, a URL from another resource: CDK tokens) cannot
 * be hashed at synth. They are hashed as placeholders, and their deployed values travel beside the
 * fingerprint (CloudFormation resolves them into the environment), so the poller checks them
 * exactly too: no part of the spec escapes the check.
 */
import { createHash } from 'node:crypto';

/** What the construct writes into the poller's environment. */
export interface SpecFingerprint {
  /** SHA-256 of the spec's canonical JSON, with each deploy-time value replaced by its placeholder. */
  readonly sha256: string;
  /** Where the deploy-time values are (key paths). */
  readonly tokenPaths: ReadonlyArray<ReadonlyArray<string | number>>;
  /** The deploy-time values, in the same order (tokens at synth; their values in the poller). */
  readonly tokenValues: ReadonlyArray<unknown>;
}

const placeholder = (index: number) => `<deploy-time value ${index}>`;

/** The spec's fingerprint; `isDeployTimeValue` tells which leaves are only known at deployment. */
export function specFingerprint(spec: unknown, isDeployTimeValue: (value: unknown) => boolean): SpecFingerprint {
  const tokenPaths: Array<Array<string | number>> = [];
  const tokenValues: unknown[] = [];
  const walk = (value: unknown, path: Array<string | number>): unknown => {
    if (isDeployTimeValue(value)) {
      tokenPaths.push(path);
      tokenValues.push(value);
      return placeholder(tokenValues.length - 1);
    }
    if (Array.isArray(value)) return value.map((item, index) => walk(item, [...path, index]));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([key, v]) => [key, walk(v, [...path, key])]));
    }
    return value;
  };
  const hashed = walk(spec, []);
  return { sha256: sha256(canonical(hashed)), tokenPaths, tokenValues };
}

/** What is wrong with an event's spec against the deployed fingerprint, or undefined when it is the deployed spec. */
export function specBindingProblem(spec: unknown, expected: SpecFingerprint): string | undefined {
  let copy: unknown = JSON.parse(JSON.stringify(spec ?? null));
  for (const [index, path] of expected.tokenPaths.entries()) {
    const value = readPath(copy, path);
    if (canonical(value) !== canonical(expected.tokenValues[index])) {
      return `spec.${path.join('.')} is not the value this poller was deployed with`;
    }
    copy = writePath(copy, path, placeholder(index));
  }
  return sha256(canonical(copy)) === expected.sha256 ? undefined
    : 'the spec is not the one this poller was deployed with (its SHA-256 differs)';
}

function readPath(value: unknown, path: ReadonlyArray<string | number>): unknown {
  let at: unknown = value;
  for (const key of path) {
    if (at === null || typeof at !== 'object' || !Object.prototype.hasOwnProperty.call(at, key)) return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

function writePath(value: unknown, path: ReadonlyArray<string | number>, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [key, ...rest] = path;
  const container = value as Record<string | number, unknown>;
  container[key] = writePath(container[key], rest, replacement);
  return value;
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (v !== null && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
    : v)) ?? 'null';
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
