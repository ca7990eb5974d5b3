import { Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ApiSource, ApiToFirehoseIngestion, ApiToFirehoseIngestionProps, Column, Incremental, Records, RecordSchema } from '../../src';
import { schedulePeriodSeconds } from '../../src/monitoring/feed-metrics';
import { templateOf, testStack } from '../helpers/synth';

function feed(extra: Partial<ApiToFirehoseIngestionProps> = {}, stack: Stack = testStack()) {
  const construct = new ApiToFirehoseIngestion(stack, 'Weather', {
    feedName: 'weather',
    schedule: ScheduleExpression.rate(Duration.minutes(15)),
    source: ApiSource.http({ url: 'https://api.example.com/obs', records: Records.at('data') }),
    ...extra,
  });
  return { construct, template: templateOf(stack), stack };
}

describe('alarms', () => {
  test('six alarms by default, without actions', () => {
    const { template, construct } = feed();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 6);
    expect(construct.alarms).toHaveLength(6);
    for (const alarm of Object.values<any>(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toBeUndefined();
    }
  });

  test('poller errors, dead letters, Firehose freshness and throttling', () => {
    const { template } = feed();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Namespace: 'AWS/Lambda', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'DeliveryToS3.DataFreshness', Namespace: 'AWS/Firehose', Threshold: 900, Statistic: 'Maximum' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ThrottledRecords', Namespace: 'AWS/Firehose', Threshold: 1 });
  });

  test('a run less than right alarms: short reads always, cursor stalls with a cursor, empty columns with a schema', () => {
    const alarmsOn = (template: ReturnType<typeof feed>['template']) => Object.values<any>(template.findResources('AWS::CloudWatch::Alarm'))
      .filter((a) => a.Properties.Namespace === 'CdkApiIngestion').map((a) => a.Properties.MetricName).sort();
    expect(alarmsOn(feed().template)).toEqual(['RecordsDelivered', 'ShortReads']);
    const { template } = feed({
      source: ApiSource.http({
        url: 'https://api.example.com/obs',
        query: { since: '{{ cursor }}' },
        records: Records.at('data'),
        incremental: Incremental.datetime({ recordPath: 'at', start: '2026-01-01T00:00:00Z' }),
        schema: RecordSchema.of({ at: Column.timestamp(), note: Column.string({ allowEmpty: true }) }),
      }),
    });
    expect(alarmsOn(template)).toEqual(['CursorStalls', 'EmptyColumns', 'RecordsDelivered', 'ShortReads']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'EmptyColumns',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmDescription: Match.stringLikeRegexp('a column of the schema was null in every row of a run that delivered rows'),
    });
    // The spec carries allowEmpty for the poller, which leaves that column out of EmptyColumns.
    const schedule = Object.values<any>(template.findResources('AWS::Scheduler::Schedule'))[0];
    expect(JSON.parse(schedule.Properties.Target.Input).spec.schema.columns.note).toEqual({ type: 'string', allowEmpty: true });
  });

  test('no records delivered for N schedule periods reads the poller\'s EMF metric with its exact dimensions', () => {
    const { template } = feed({ noRecordsAlarmPeriods: 4 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'RecordsDelivered',
      Namespace: 'CdkApiIngestion',
      Dimensions: Match.arrayWith([{ Name: 'Feed', Value: 'weather' }, { Name: 'service', Value: 'cdk-api-ingestion' }]),
      Period: 900,
      EvaluationPeriods: 4,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  test('an SNS topic is notified on alarm and on recovery', () => {
    const stack = testStack();
    const topic = new sns.Topic(stack, 'Ops');
    const { template } = feed({ alarmTopic: topic }, stack);
    for (const alarm of Object.values<any>(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Ops/) }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: expect.stringMatching(/^Ops/) }]);
    }
  });

  test('alarms can be switched off', () => {
    const { template, construct } = feed({ alarmsEnabled: false });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(construct.alarms).toEqual([]);
  });

  test('invalid combinations fail with what to change', () => {
    const stack = testStack();
    expect(() => feed({ alarmsEnabled: false, alarmTopic: new sns.Topic(stack, 'T') }, stack))
      .toThrow("ApiToFirehoseIngestion 'TestStack/Weather': alarmTopic is set but alarmsEnabled is false; remove alarmTopic, or enable the alarms");
    expect(() => feed({ noRecordsAlarmPeriods: 0 })).toThrow(/noRecordsAlarmPeriods must be a whole number from 1 to 24 \(got 0\)/);
  });

  test('schedule periods from rate expressions; an hour otherwise', () => {
    expect(schedulePeriodSeconds('rate(15 minutes)')).toBe(900);
    expect(schedulePeriodSeconds('rate(1 hour)')).toBe(3600);
    expect(schedulePeriodSeconds('rate(2 days)')).toBe(172800);
    expect(schedulePeriodSeconds('cron(0 * * * ? *)')).toBe(3600);
  });
});

describe('composition helpers', () => {
  test('metricRecordsDelivered and metricRecordsDeadLettered use the poller\'s namespace and dimensions', () => {
    const { construct } = feed();
    const metric = construct.metricRecordsDelivered({ period: Duration.hours(1) });
    expect(metric.namespace).toBe('CdkApiIngestion');
    expect(metric.metricName).toBe('RecordsDelivered');
    expect(metric.dimensions).toEqual({ service: 'cdk-api-ingestion', Feed: 'weather' });
    expect(metric.period.toSeconds()).toBe(3600);
    expect(construct.metricRecordsDeadLettered().metricName).toBe('RecordsDeadLettered');
  });

  test('grantReadData lets a principal read the feed\'s prefix only', () => {
    const stack = testStack();
    const construct = new ApiToFirehoseIngestion(stack, 'Weather', {
      feedName: 'weather',
      source: ApiSource.http({ url: 'https://api.example.com/obs', records: Records.at('data') }),
    });
    const analyst = new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() });
    construct.grantReadData(analyst);
    const statements = Object.values<any>(templateOf(stack).findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('Analyst'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    // Exact actions, no wildcards: objects of the folder, and listing limited to the folder.
    expect(statements.map((s) => s.Action)).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(JSON.stringify(statements[0].Resource)).toContain('/feed=weather/*');
    expect(statements[1].Condition).toEqual({ StringLike: { 's3:prefix': ['feed=weather/*'] } });
  });
});
