/**
 * API.python.md is what Python users read for types: every type in it must be one Python's typing
 * accepts. jsii-docgen writes a string-keyed map as `typing.Mapping[V]`; the docgen task rewrites
 * it to `typing.Mapping[str, V]` (scripts/fix-python-api-doc.js).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../setup/moto-server';

test('every typing.Mapping in API.python.md names its key type', () => {
  const doc = readFileSync(path.join(PROJECT_ROOT, 'API.python.md'), 'utf8');
  const mappings = doc.match(/typing\.Mapping\[[^\]]*\]/g) ?? [];
  expect(mappings.length).toBeGreaterThan(50);
  expect(mappings.filter((m) => !m.startsWith('typing.Mapping[str, '))).toEqual([]);
  // The partitions' list of parameter sets reads as Python writes it.
  expect(doc).toContain('values: typing.List[typing.Mapping[str, typing.Any]]');
});
