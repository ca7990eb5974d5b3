/**
 * The EventBridge Scheduler schedule that invokes the poller with the feed spec, with an own
 * role, an explicit retry policy and the feed's dead-letter queue.
 */
import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FeedScheduleOptions } from './feed-schedule-options';

/** What the construct gives the schedule it creates (internal). */
export interface CreateFeedScheduleProps {
  readonly feed: string;
  readonly expression: scheduler.ScheduleExpression;
  readonly scheduleOptions?: FeedScheduleOptions;
  readonly pollerFunction: lambda.IFunction;
  /** With a distributed run: the schedule starts this state machine instead of invoking the poller. */
  readonly stateMachine?: sfn.IStateMachine;
  readonly input: object;
  readonly deadLetterQueue: sqs.IQueue;
  /** Throws the construct's synth error, which names the construct, with this message. */
  readonly synthError: (message: string) => never;
}

export interface FeedSchedule {
  readonly schedule: scheduler.Schedule;
  readonly role: iam.Role;
  /** The expression the schedule uses, with the time zone of `scheduleOptions` applied. */
  readonly expression: scheduler.ScheduleExpression;
}

/** Creates the schedule (ids `ScheduleRole` and `Schedule`). */
export function createFeedSchedule(scope: Construct, options: CreateFeedScheduleProps): FeedSchedule {
  const synthError = options.synthError;
  const props = options.scheduleOptions ?? {};
  const expression = withTimeZone(options.expression, props, synthError);
  if (props.start && props.end && props.start.getTime() >= props.end.getTime()) {
    synthError(`scheduleOptions.start (${props.start.toISOString()}) must be before scheduleOptions.end (${props.end.toISOString()})`);
  }

  // An own role for the schedule (instead of Scheduler's shared per-stack role), trusted only
  // for schedules of this account.
  const role = new iam.Role(scope, 'ScheduleRole', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
    description: options.stateMachine ? `Starts the distributed runs of the ${options.feed} API feed` : `Invokes the poller of the ${options.feed} API feed`,
  });
  const targetProps: targets.ScheduleTargetBaseProps = {
    input: scheduler.ScheduleTargetInput.fromObject(options.input),
    // Scheduler's own default is 185 retries over 24 hours; an invocation that cannot be
    // delivered within an hour is better dead-lettered and superseded by the next run.
    retryAttempts: 3,
    maxEventAge: Duration.hours(1),
    deadLetterQueue: options.deadLetterQueue,
    role,
  };
  const schedule = new scheduler.Schedule(scope, 'Schedule', {
    description: `Polls the ${options.feed} API`,
    schedule: expression,
    enabled: props.enabled ?? true,
    start: props.start,
    end: props.end,
    // A flexible window would let runs drift and overlap; polls are meant to be on time.
    timeWindow: scheduler.TimeWindow.off(),
    target: options.stateMachine
      ? new targets.StepFunctionsStartExecution(options.stateMachine, targetProps)
      : new targets.LambdaInvoke(options.pollerFunction, targetProps),
  });
  // The target grants only sqs:SendMessage; a queue encrypted with a customer-managed key also
  // needs the key, or Scheduler's dead letters would be lost.
  options.deadLetterQueue.encryptionMasterKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
  return { schedule, role, expression };
}

function withTimeZone(
  expression: scheduler.ScheduleExpression, props: FeedScheduleOptions, synthError: (message: string) => never,
): scheduler.ScheduleExpression {
  if (!props.timeZone) {
    return expression;
  }
  const text = expression.expressionString;
  if (!Token.isUnresolved(text) && text.startsWith('rate(')) {
    synthError(`scheduleOptions.timeZone is set but the schedule is ${text}, which has no time zone; use ScheduleExpression.cron() or at(), or remove timeZone`);
  }
  // cron() and at() default to UTC, so only another zone counts as set in the expression.
  const own = expression.timeZone?.timezoneName;
  if (own && own !== 'Etc/UTC' && own !== props.timeZone.timezoneName) {
    synthError(`the schedule expression is in ${expression.timeZone.timezoneName} but scheduleOptions.timeZone is ${props.timeZone.timezoneName}; set the time zone in one place`);
  }
  return scheduler.ScheduleExpression.expression(text, props.timeZone);
}
