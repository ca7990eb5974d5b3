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
// The CLI's commands for a deployed feed (trigger, backfill --schedule); the poller never loads them.
export const schedulerModule = (): typeof import('@aws-sdk/client-scheduler') => require('@aws-sdk/client-scheduler');
export const sfnModule = (): typeof import('@aws-sdk/client-sfn') => require('@aws-sdk/client-sfn');
export const lambdaModule = (): typeof import('@aws-sdk/client-lambda') => require('@aws-sdk/client-lambda');
/* eslint-enable @typescript-eslint/no-require-imports */
