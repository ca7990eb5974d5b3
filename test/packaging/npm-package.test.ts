/**
 * The npm tarball carries the docs the README links to: a user who installed the package (or
 * reads it on a registry) can open every one. The README links to the published package's files
 * on unpkg, which serves exactly what the tarball holds.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../setup/moto-server';

const UNPKG = 'https://unpkg.com/browse/cdk-api-ingestion@latest/';

/** The paths `npm pack` would put into the tarball. */
function packedFiles(): string[] {
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: PROJECT_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(output)[0].files.map((file: { path: string }) => file.path);
}

describe('the npm package', () => {
  const files = packedFiles();
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');

  test('carries the spec reference, the guides, the examples, the JSON Schema and both API references', () => {
    expect(files).toEqual(expect.arrayContaining([
      'docs/SPEC.md', 'docs/DESTINATIONS.md', 'docs/SCALING.md', 'docs/ARCHITECTURE.md', 'docs/SECURITY.md', 'docs/BENCHMARKS.md',
      'docs/RELIABILITY.md', 'docs/MEASUREMENTS.md',
      'examples/specs/github-issues.json', 'examples/python/app.py', 'examples/weather/app.ts', 'examples/demo/weather-demo.json',
      'schema/feed-spec.v1.json', 'API.md', 'API.python.md', 'README.md',
    ]));
    expect(files.filter((file) => /__pycache__|cdk\.out|^test\/|^src\/|^bench\//.test(file))).toEqual([]);
  });

  test('every file the README links to is in the package, and no link is a path only the repository has', () => {
    const linked = [...readme.matchAll(/\]\((https:\/\/unpkg\.com\/browse\/cdk-api-ingestion@latest\/[^)]*)\)/g)].map((m) => m[1].slice(UNPKG.length));
    expect(linked.length).toBeGreaterThan(10);
    for (const target of linked) {
      const found = target.endsWith('/') ? files.some((file) => file.startsWith(target)) : files.includes(target);
      if (!found) throw new Error(`README links to ${target}, which the npm package does not carry`);
    }
    expect(readme).not.toMatch(/\]\((?:\.\/)?(?:docs|examples|schema)\/|\]\((?:\.\/)?API(?:\.python)?\.md\)/);
  });
});
