/**
 * A synthesized distributed feed run for real: its state machine's definition, read from the
 * template, walked by the driver, with every Lambda task the bundled poller in its own process
 * against moto (see test/helpers/state-machine-driver.ts for why not moto's interpreter).
 */
import { asScheduled, invokeBundledHandler } from './bundled-handler';
import { FeedResources, pollerEnv, s3Client } from './moto-aws';
import { resolvedDefinition, runStateMachine } from './state-machine-driver';
import { POLLER_ENV } from '../../src/feed-spec/poller-contract';

export const POLLER_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:poller';

/** One execution of the feed's state machine, its input the schedule's (plus `extra`: a run on demand's overrides). */
export async function runDistributed(resources: Record<string, any>, moto: FeedResources, executionName: string, extra: object = {}) {
  const [pollerId, poller] = Object.entries(resources)
    .find(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.[POLLER_ENV.controlBucket])!;
  // The control bucket is the feed's bucket, the one the records go to.
  const bucketId = poller.Properties.Environment.Variables[POLLER_ENV.controlBucket].Ref;
  expect(poller.Properties.Environment.Variables[POLLER_ENV.deadLetterBucket]).toEqual({ Ref: bucketId });
  const machine = Object.values(resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  const definition = resolvedDefinition(machine, { [bucketId]: moto.bucketName, [`${pollerId}.Arn`]: POLLER_ARN });
  const schedule = Object.values(resources).find((r) => r.Type === 'AWS::Scheduler::Schedule');
  const input = { ...(asScheduled(schedule.Properties.Target.Input, '2026-12-06T12:00:00Z', `exec-${executionName}`) as object), ...extra };
  const env = { ...pollerEnv(moto), [POLLER_ENV.controlBucket]: moto.bucketName };
  return runStateMachine(definition, input, {
    executionName,
    s3: s3Client(),
    invoke: async (arn, payload) => {
      expect(arn).toBe(POLLER_ARN);
      return invokeBundledHandler(payload, env);
    },
  });
}
