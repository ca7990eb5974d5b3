/**
 * Writes the spec's JSON Schema to schema/feed-spec.v1.json (shipped in the npm package, and
 * referenced by spec files through "$schema"). A test fails when the file is out of date.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { feedSpecJsonSchemaDocument } from '../src/feed-spec/json-schema';

const file = path.join(__dirname, '..', 'schema', 'feed-spec.v1.json');
mkdirSync(path.dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(feedSpecJsonSchemaDocument(), null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), file)}`);
