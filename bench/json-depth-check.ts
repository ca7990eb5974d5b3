/**
 * What the response depth check costs beside `JSON.parse`, on a 1,000-record page (~300 KB):
 * the walk over the parsed value the poller does, and, for comparison, the pass over the text's
 * characters it did before. Run: bash scripts/with-node24.sh npx ts-node --project tsconfig.dev.json bench/json-depth-check.ts
 */
import { MAX_JSON_DEPTH, valueDepthExceeds } from '../src/runtime/engine/json-depth';

/** The text pass the poller used to make (kept here only to compare). */
function textDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth -= 1;
    }
  }
  return false;
}

function msPerCall(rounds: number, work: () => unknown): number {
  for (let i = 0; i < 20; i++) work();
  const started = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) work();
  return Number(process.hrtime.bigint() - started) / 1e6 / rounds;
}

const page = JSON.stringify({
  data: Array.from({ length: 1000 }, (_, i) => ({
    id: i, name: `item ${i}`, updated_at: new Date(1e12 + i).toISOString(), tags: ['a', 'b'], nested: { x: i, y: 'z'.repeat(200) },
  })),
});
const parsed = JSON.parse(page);
const parse = msPerCall(300, () => JSON.parse(page));
const walk = msPerCall(300, () => valueDepthExceeds(parsed, MAX_JSON_DEPTH));
const scan = msPerCall(300, () => textDepthExceeds(page, MAX_JSON_DEPTH));
const pct = (ms: number) => `${Math.round((100 * ms) / parse)} %`;
console.log(`Node.js ${process.version}, page of ${page.length} characters, ms per page:`);
console.log(`  JSON.parse                 ${parse.toFixed(3)}`);
console.log(`  walk of the parsed value   ${walk.toFixed(3)} (${pct(walk)} of the parse)`);
console.log(`  pass over the text         ${scan.toFixed(3)} (${pct(scan)} of the parse)`);
