/**
 * The AWS SDK client modules that adapters and entry points load on first use, not at the
 * poller's init: each adds tens of milliseconds to a cold start, and most runs need neither
 * dead letters (SQS, S3) nor, for a feed without auth, Secrets Manager.
 *
 * require() at first use rather than import(): a dynamic import would load the SDK's ES module
 * build, a second copy beside the CommonJS one the rest of the poller uses. Each require() names
 * its module literally, so esbuild still sees it (and bundles it into the CLI). Node.js caches
 * a module after its first require(). Only type imports here: importing this file loads nothing.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
export const sqsModule = (): typeof import('@aws-sdk/client-sqs') => require('@aws-sdk/client-sqs');
export const s3Module = (): typeof import('@aws-sdk/client-s3') => require('@aws-sdk/client-s3');
export const secretsManagerModule = (): typeof import('@aws-sdk/client-secrets-manager') => require('@aws-sdk/client-secrets-manager');
/* eslint-enable @typescript-eslint/no-require-imports */
