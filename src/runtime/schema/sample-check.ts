/**
 * `api-ingest validate --sample`: what a spec makes of a sample of the API's real records, where
 * the spec alone cannot tell. A field the transform reads that no record has (a misspelling), a
 * record the transform fails on, and a schema column that stays empty in every row are named, with
 * the nearest field for a likely typo.
 */
import { RowProjector } from './row-projection';
import type { FeedSpec } from '../../feed-spec/feed-spec';
import { nearest } from '../../feed-spec/template-syntax';
import { transformReadFields } from '../../feed-spec/transform-shape';
import { BoundedTransform } from '../engine/bounded-transform';
import { SYSTEM_CLOCK } from '../engine/http-client';

/** How deep field names are collected from the sampled records. */
const MAX_DEPTH = 8;

/** Every field name of the records, at any depth (arrays looked into). */
function fieldNames(records: readonly unknown[]): Set<string> {
  const names = new Set<string>();
  const visit = (value: unknown, depth: number): void => {
    if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach((item) => visit(item, depth + 1));
      return;
    }
    for (const [name, inner] of Object.entries(value)) {
      names.add(name);
      visit(inner, depth + 1);
    }
  };
  records.forEach((record) => visit(record, 0));
  return names;
}

/** What the sample shows is wrong with the spec: one sentence each; empty when nothing is. */
export async function sampleFindings(spec: FeedSpec, records: readonly unknown[]): Promise<string[]> {
  const findings: string[] = [];
  if (records.length === 0) return ['the sample has no records: nothing could be checked (try --pages N)'];
  let outputs: unknown[] = [...records];
  if (spec.transform) {
    const names = fieldNames(records);
    for (const field of transformReadFields(spec.transform.expression)) {
      if (names.has(field)) continue;
      const near = nearest(field, names);
      findings.push(`the transform reads "${field}", which none of the ${records.length} sampled record(s) has${near ? `; did you mean "${near}"?` : ''}`);
    }
    const transform = new BoundedTransform(spec.transform, spec.feed, { clock: SYSTEM_CLOCK });
    outputs = [];
    const errors: string[] = [];
    try {
      for (const result of await transform.applyAll(records, null)) {
        if (result.ok) outputs.push(...result.texts.map((text) => JSON.parse(text)));
        else errors.push(result.error);
      }
    } finally {
      await transform.close();
    }
    if (errors.length > 0) findings.push(`the transform failed on ${errors.length} of ${records.length} sampled record(s): ${errors[0]}`);
  }
  if (spec.schema && outputs.length > 0) {
    const projector = new RowProjector(spec.schema);
    const filled = new Map(Object.keys(spec.schema.columns).map((name) => [name, 0]));
    for (const output of outputs) {
      const { columns } = projector.project(output);
      for (const name of filled.keys()) if (columns[name] !== null && columns[name] !== undefined) filled.set(name, filled.get(name)! + 1);
    }
    for (const [name, count] of filled) {
      const column = spec.schema.columns[name];
      if (count > 0 || column.allowEmpty) continue;
      findings.push(`column ${name} (reads "${column.path ?? name}") stayed empty in all ${outputs.length} sampled row(s)`);
    }
  }
  return findings;
}
