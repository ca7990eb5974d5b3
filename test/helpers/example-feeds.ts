/**
 * Feeds used across the construct tests, so every test builds the same representative stack.
 */
import { Duration } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { ApiSource, ApiToFirehoseIngestion, ApiToFirehoseIngestionProps, Records } from '../../src';

export function weatherFeed(scope: Construct, id = 'Weather', overrides: Partial<ApiToFirehoseIngestionProps> = {}): ApiToFirehoseIngestion {
  return new ApiToFirehoseIngestion(scope, id, {
    feedName: 'weather',
    schedule: ScheduleExpression.rate(Duration.minutes(15)),
    source: ApiSource.http({
      url: 'https://api.example-weather.com/v1/observations',
      query: { city: 'Seoul' },
      records: Records.at('data'),
    }),
    ...overrides,
  });
}
