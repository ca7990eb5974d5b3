import { awscdk, javascript } from 'projen';
import { TypeScriptModuleResolution, UpdateSnapshot } from 'projen/lib/javascript';
import { TsJestTsconfig } from 'projen/lib/typescript';

// Packages that ship only ES modules. The runtime imports them; esbuild bundles them into
// CommonJS for Lambda, and jest must transform them because it runs tests as CommonJS.
const esmOnlyRuntimeDeps = ['p-retry', 'p-limit', 'yocto-queue', 'is-network-error', 'hyparquet-writer', 'hyparquet'];

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-api-ingestion',
  description:
    'Pull third-party HTTP APIs on a schedule into an S3 data lake through Kinesis Data Firehose, from a declarative API spec.',
  keywords: ['cdk', 'awscdk', 'firehose', 'ingestion', 'api', 'data-lake', 'eventbridge-scheduler'],
  author: 'cdk-api-ingestion contributors',
  authorAddress: 'maintainers@cdk-api-ingestion.dev',
  repositoryUrl: 'https://github.com/cdk-api-ingestion/cdk-api-ingestion.git',
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  // Node.js 20 is past end of life; the api-ingest command and the tests run on 22 or newer.
  minNodeVersion: '22.0.0',

  // The newest release on both npm and PyPI: the wheel's floor must be installable from PyPI.
  cdkVersion: '2.275.0',
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',
  // ts-jest, ts-node and the runtime type-check use this TypeScript; jsii brings its own.
  typescriptVersion: '~5.9.0',

  publishToPypi: {
    distName: 'cdk-api-ingestion',
    module: 'cdk_api_ingestion',
  },

  // The spec schema is validated at synth time by the construct itself, so its validator ships
  // inside the jsii package (Python users get it through the jsii runtime).
  // jsonata compiles the spec's transform at synth, with the same library the poller runs it with.
  bundledDeps: ['zod@^4.1.0', 'jsonata@^2.2.2'],
  devDeps: [
    'cdk-nag@^3.0.2',
    // cdk-nag 2 beside 3: many users are still on 2.x, which reads suppressions from resource metadata.
    'cdk-nag-v2@npm:cdk-nag@^2.37.51',
    // Integration tests in the CDK convention: the apps under test/integ, their snapshots verified in CI.
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
    '@aws-cdk/integ-runner@^2.197.10',
    'ajv@^8.17.0',
    'fast-check@^4.0.0',
    'esbuild@^0.28.0',
    'p-retry@^9.0.0',
    'p-limit@^7.3.0',
    'jsonpath-plus@^11.0.0',
    'http-link-header@^1.1.0',
    '@types/http-link-header',
    'csv-parse@^7.0.0',
    // Writes the local run's Parquet files (api-ingest run --format parquet); the CLI only, not the Lambda.
    'hyparquet-writer@^0.17.0',
    '@aws-sdk/client-secrets-manager@^3.1000.0',
    '@aws-sdk/client-dynamodb@^3.1000.0',
    '@aws-sdk/client-sqs@^3.1000.0',
    '@aws-lambda-powertools/metrics@^2.36.0',
    '@aws-lambda-powertools/logger@^2.36.0',
    '@aws-sdk/client-firehose@^3.1000.0',
    '@aws-sdk/client-s3@^3.1000.0',
    // The table creator's inline handler runs on the Lambda runtime's SDK; its test runs it against moto with this one.
    '@aws-sdk/client-redshift-data@^3.1000.0',
    // The run endpoint's inline handler runs on the Lambda runtime's SDK; its test runs it against moto with these.
    '@aws-sdk/client-scheduler@^3.1000.0',
    '@aws-sdk/client-sfn@^3.1000.0',
    '@aws-sdk/client-lambda@^3.1000.0',
    // The durable poller (ExecutionMode.durable): the SDK, bundled into assets/poller-durable, and AWS's local test runner for it.
    '@aws/durable-execution-sdk-js@^2.4.0',
    '@aws/durable-execution-sdk-js-testing@^1.1.4',
    // The integration tests' checker reads alarms and metrics; its local test runs it against moto.
    '@aws-sdk/client-cloudwatch@^3.1000.0',
    // Validates the distributed run's synthesized state machine against the Amazon States Language.
    'asl-validator@^4.0.0',
    '@types/aws-lambda',
    // Re-signs a captured request in a test, to show the signature covers the prepared body.
    '@smithy/signature-v4@^5.3.0',
  ],

  // The runtime (engine, sinks, entry points) is bundled by esbuild, not compiled by jsii.
  excludeTypescript: ['src/runtime/**'],
  tsconfig: {
    compilerOptions: {},
    exclude: ['src/runtime/**'],
  },
  tsconfigDevFile: 'tsconfig.dev.json',
  tsconfigDev: {
    compilerOptions: {
      // TypeScript >= 5.8 allows require() of the ESM-only runtime packages under nodenext.
      module: 'nodenext',
      moduleResolution: TypeScriptModuleResolution.NODE_NEXT,
      allowJs: true,
      noEmit: true,
      isolatedModules: true,
    },
    include: ['src/**/*.ts', 'test/**/*.ts', 'examples/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts', '.projenrc.ts', 'projenrc/**/*.ts'],
  },

  // ts-jest transpiles (isolatedModules) the tests and the ESM-only packages above; type errors
  // are caught by the separate `typecheck` task, which checks the whole tree at once.
  tsJestOptions: {
    transformPattern: '^.+\\.[tj]sx?$',
    transformOptions: {
      tsconfig: TsJestTsconfig.fromFile('tsconfig.dev.json'),
    },
  },
  // eslint's project service finds only files named tsconfig.json; point it at the dev config,
  // which covers the runtime, tests and examples that jsii's tsconfig.json leaves out.
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'examples', 'bench', 'scripts'],
    tsconfigPath: './tsconfig.dev.json',
    projectService: false,
  },
  jestOptions: {
    // Snapshots are never rewritten by the test task: `npx projen test:update` does that on purpose.
    updateSnapshot: UpdateSnapshot.NEVER,
    passWithNoTests: false,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      // The integration tests' snapshots hold synthesized assets (package.json files among them).
      modulePathIgnorePatterns: ['<rootDir>/test/integ/.*\\.snapshot/'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
      snapshotSerializers: ['<rootDir>/test/setup/asset-hash-serializer.ts'],
      // moto holds at most 50 delivery streams per region: each test file deletes the ones it made.
      setupFilesAfterEnv: ['<rootDir>/test/setup/delete-test-streams.ts'],
      testTimeout: 120_000,
      collectCoverage: false,
      transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyRuntimeDeps.join('|')})/)`],
    },
  },

  gitignore: ['/.venv/', '/.venv-checkov/', '/.node24/', '__pycache__/', '/cdk.out/', '/examples/**/cdk.out/', '/out/', '/.tmp/'],
  npmignoreEnabled: true,
  githubOptions: { mergify: false },
  depsUpgrade: false,
  docgen: true,
  sampleCode: false,
});

// ---------------------------------------------------------------------------------------------
// Lambda bundle: the runtime's Lambda entry point, bundled into assets/ so the npm tarball (and
// therefore the Python package) ships ready-made Lambda code; no bundler or Docker at synth.
const bundle = project.addTask('bundle', {
  description: 'Bundle the poller Lambda with esbuild into assets/',
  steps: [
    {
      exec: [
        'esbuild src/runtime/entrypoints/lambda-handler.ts',
        '--bundle --platform=node --target=node22 --format=cjs',
        '--outfile=assets/poller/index.js',
        // The Lambda Node.js runtime ships the AWS SDK v3; keeping it external keeps the bundle lean.
        '--external:@aws-sdk/*',
        // Minified with names kept, so stack traces stay readable.
        '--minify --keep-names --legal-comments=none --log-level=warning',
      ].join(' '),
    },
  ],
});
// The poller as a durable function (ExecutionMode.durable()): the same runtime behind the durable
// execution SDK's wrapper, in a bundle of its own so the default poller does not carry the SDK.
// The SDK is bundled (AWS recommends shipping it with the function); the AWS SDK clients it calls
// (Lambda's checkpoint APIs) come with the Node.js runtime, like the others.
bundle.exec([
  'esbuild src/runtime/entrypoints/durable-handler.ts',
  '--bundle --platform=node --target=node22 --format=cjs',
  '--outfile=assets/poller-durable/index.js',
  '--external:@aws-sdk/*',
  '--minify --keep-names --legal-comments=none --log-level=warning',
].join(' '));
// The api-ingest command: the same engine and sinks as the Lambda. Self-contained (the AWS SDK
// clients are bundled in), because a user's `npm install` brings no runtime dependencies.
bundle.exec([
  'esbuild src/runtime/entrypoints/cli.ts',
  '--bundle --platform=node --target=node22 --format=cjs',
  '--outfile=assets/cli/api-ingest.js',
  '--banner:js="#!/usr/bin/env node"',
  '--minify --keep-names --legal-comments=none --log-level=warning',
].join(' '));
// The worker thread that runs a feed's JSONata transform within its bounds (engine/bounded-transform.ts),
// beside each bundle that starts it: the poller and the api-ingest command.
for (const dir of ['poller', 'poller-durable', 'cli']) {
  bundle.exec([
    'esbuild src/runtime/engine/transform-worker.ts',
    '--bundle --platform=node --target=node22 --format=cjs',
    `--outfile=assets/${dir}/transform-worker.js`,
    '--minify --keep-names --legal-comments=none --log-level=warning',
  ].join(' '));
}
project.preCompileTask.spawn(bundle);
bundle.exec('chmod +x assets/cli/api-ingest.js');
project.addBins({ 'api-ingest': 'assets/cli/api-ingest.js' });
project.gitignore.exclude('/assets/');
// Integration test snapshots: the templates and manifests are committed; the bundled assets
// (rebuilt by every synth, their hashes ignored by integ-runner) and the validation report are not.
project.gitignore.exclude('/test/integ/*.snapshot/asset.*', '/test/integ/*.snapshot/validation-report.json', '/test/integ/cdk-integ.out.*');
project.addPackageIgnore('!/assets/');

// One development tsconfig at the root serves projen, ts-node, ts-jest, eslint and the type-check.
project.tryRemoveFile('projenrc/tsconfig.json');
project.defaultTask?.reset('ts-node --project tsconfig.dev.json .projenrc.ts');

// The runtime's packages are bundled into the Lambda asset by esbuild, so they are build-time
// (dev) dependencies of the npm package, not runtime dependencies of the construct.
project.eslint?.addOverride({
  files: ['src/runtime/**/*.ts'],
  rules: { 'import/no-extraneous-dependencies': ['error', { devDependencies: true, optionalDependencies: false, peerDependencies: true }] },
});

// The layering (docs/ARCHITECTURE.md), held by lint so that a wrong import fails CI:
//   construct folders ↛ runtime; construct feature folders ↛ ingestion (shared helpers live in
//   src/private); feed-spec ↛ either side; ports ↛ the rest of the runtime; engine ↛ adapters
//   and ↛ the AWS SDK; adapters ↛ each other and ↛ entry points (only entry points wire them);
//   runtime/aws-sdk (the SDK modules loaded on first use) is a leaf the adapters share.
const RUNTIME = './src/runtime';
const ADAPTERS = ['sinks', 'state', 'dead-letters', 'secrets', 'logging', 'redaction', 'distributed', 'backfill'];
const CONSTRUCT_FOLDERS = ['ingestion', 'storage', 'delivery', 'destinations', 'formats', 'execution', 'dead-letters', 'poller', 'scheduling', 'monitoring', 'source', 'private'];
const layering = [
  ...CONSTRUCT_FOLDERS.map((folder) => ({
    target: `./src/${folder}`, from: RUNTIME, message: 'The construct never imports the runtime: share through src/feed-spec.',
  })),
  ...CONSTRUCT_FOLDERS.filter((folder) => folder !== 'ingestion').map((folder) => ({
    target: `./src/${folder}`, from: './src/ingestion', message: 'Arrows point down: shared construct helpers go to src/private.',
  })),
  {
    target: './src/feed-spec',
    from: './src',
    except: ['./feed-spec'],
    message: 'The feed spec and the poller contract are the contract both sides import; they import neither side.',
  },
  {
    target: `${RUNTIME}/ports`,
    from: RUNTIME,
    except: ['./ports'],
    message: 'Ports are leaves: interfaces only, importing nothing from the runtime.',
  },
  {
    target: `${RUNTIME}/engine`,
    from: [...ADAPTERS, 'entrypoints', 'aws-sdk'].map((folder) => `${RUNTIME}/${folder}`),
    message: 'The engine depends on ports only; entry points choose the implementations.',
  },
  {
    target: `${RUNTIME}/aws-sdk`,
    from: RUNTIME,
    except: ['./aws-sdk'],
    message: 'The SDK loader is a leaf that adapters and entry points share; it imports nothing from the runtime.',
  },
  ...ADAPTERS.map((folder) => ({
    target: `${RUNTIME}/${folder}`,
    from: [...ADAPTERS.filter((other) => other !== folder), 'entrypoints'].map((other) => `${RUNTIME}/${other}`),
    message: 'Adapters know each other only through ports; entry points wire them.',
  })),
];
project.eslint?.addRules({ 'import/no-restricted-paths': ['error', { zones: layering }] });
// The engine and the ports know nothing of AWS.
project.eslint?.addOverride({
  files: ['src/runtime/engine/**/*.ts', 'src/runtime/ports/**/*.ts'],
  rules: {
    'no-restricted-imports': ['error', { patterns: [{ group: ['@aws-sdk/*', '@aws-lambda-powertools/*', 'aws-lambda'], message: 'The engine and the ports know nothing of AWS: use a port.' }] }],
  },
});

// The API reference in Python too (API.python.md), beside projen's TypeScript API.md.
project.tasks.tryFind('docgen')?.exec('jsii-docgen -l python -o API.python.md');
// jsii-docgen writes string-keyed maps as `typing.Mapping[V]`; Python's typing needs `typing.Mapping[str, V]`.
project.tasks.tryFind('docgen')?.exec('node scripts/fix-python-api-doc.js API.python.md');

// Type-check everything jsii does not compile (the runtime, tests, examples).
const typecheck = project.addTask('typecheck', {
  description: 'Type-check the runtime, tests and examples (jsii compiles only the construct)',
  exec: 'tsc --noEmit -p tsconfig.dev.json',
});
project.testTask.prependSpawn(typecheck);
project.testTask.prependSpawn(bundle);

// Integration tests (test/integ/integ.*.ts, @aws-cdk/integ-tests-alpha): the test task verifies
// their committed snapshots with integ-runner, no AWS account needed; `npm run integ` deploys,
// asserts and destroys them in the caller's account (docs/INTEGRATION.md).
const integVerify = project.addTask('integ:verify', {
  description: 'Verify the integration tests\' committed snapshots (integ-runner, no deployment)',
  exec: 'bash scripts/integ.sh',
});
project.testTask.spawn(integVerify);
project.package.setScript('integ', 'bash scripts/ensure-node-deps.sh && INTEG_REGIONS="${AWS_REGION:-us-east-1}" '
  + 'bash scripts/with-node24.sh bash scripts/integ.sh --force --no-update-workflow');

// The example weather feed (the README's main job).
project.addTask('example', {
  description: 'Synthesize the example weather feed app and print a summary',
  exec: 'ts-node --project tsconfig.dev.json examples/weather/app.ts',
});

// Entry points for a fresh clone: these scripts install what is missing, so they work before
// `npm ci` has run (they do not depend on projen being installed).
project.package.setScript('quickstart', 'bash scripts/quickstart.sh');
project.package.setScript('test:all', 'bash scripts/test-all.sh');

// The spec's JSON Schema, generated from the zod schema, committed and shipped in the package.
project.addTask('schema', {
  description: 'Write the spec JSON Schema to schema/feed-spec.v1.json',
  exec: 'ts-node --project tsconfig.dev.json scripts/write-schema.ts',
});
project.addPackageIgnore('!/schema/');

project.addTask('reliability', {
  description: 'Run the reliability scenarios against moto and write docs/RELIABILITY.md',
  steps: [{ spawn: 'bundle' }, { exec: 'ts-node --project tsconfig.dev.json scripts/reliability.ts' }],
});
project.package.setScript('reliability', 'bash scripts/ensure-node-deps.sh && bash scripts/setup-python.sh && bash scripts/with-node24.sh npx projen reliability');

project.addTask('bench', {
  description: 'Benchmarks (not part of the tests): writes docs/BENCHMARKS.md',
  // The bench measures the Lambda bundle's size and load time: it needs the bundle built.
  steps: [{ spawn: 'bundle' }, { exec: 'ts-node --project tsconfig.dev.json bench/run-bench.ts' }],
});
project.package.setScript('bench', 'bash scripts/ensure-node-deps.sh && bash scripts/with-node24.sh npx projen bench');
project.addPackageIgnore('/bench/');
project.addTask('bench:formats', {
  description: 'Measure rows, Parquet and transforms beside JSON lines; write the formats section of docs/BENCHMARKS.md',
  steps: [{ spawn: 'bundle' }, { exec: 'ts-node --project tsconfig.dev.json bench/formats.ts' }],
});
project.addTask('bench:distributed', {
  description: 'Measure the shared rate budget and distributed runs against moto; write the distributed section of docs/BENCHMARKS.md',
  steps: [{ spawn: 'bundle' }, { exec: 'ts-node --project tsconfig.dev.json bench/distributed.ts' }],
});
project.package.setScript('bench:distributed', 'bash scripts/ensure-node-deps.sh && bash scripts/setup-python.sh && bash scripts/with-node24.sh npx projen bench:distributed');
project.addTask('bench:durable', {
  description: 'Measure durable runs beside single invocations against moto; write the durable section of docs/BENCHMARKS.md',
  steps: [{ spawn: 'bundle' }, { exec: 'ts-node --project tsconfig.dev.json bench/durable.ts' }],
});
project.package.setScript('bench:durable', 'bash scripts/ensure-node-deps.sh && bash scripts/setup-python.sh && bash scripts/with-node24.sh npx projen bench:durable');
project.package.setScript('bench:formats', 'bash scripts/ensure-node-deps.sh && bash scripts/with-node24.sh npx projen bench:formats');

project.addPackageIgnore('/scripts/');
// docs/ and examples/ ship (the README links to them); their local build output does not.
project.addPackageIgnore('__pycache__/');
project.addPackageIgnore('/examples/**/cdk.out/');
project.addPackageIgnore('/.ci/');
project.addPackageIgnore('/.venv/');
project.addPackageIgnore('/.venv-checkov/');
project.addPackageIgnore('/.node24/');
project.addPackageIgnore('/cdk.out/');
project.addPackageIgnore('/out/');
project.addPackageIgnore('/.tmp/');
project.addPackageIgnore('/.demo-api.log');

project.synth();
