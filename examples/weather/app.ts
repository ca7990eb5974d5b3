/**
 * The example weather feed: an Open-Meteo-style forecast API polled every 15 minutes into S3.
 *
 * Run it with `npm run quickstart` (from a fresh clone) or `npx projen example`: it synthesizes
 * the app into `cdk.out/` and prints a summary of what it made. Deploy it with the CDK CLI:
 * `npx cdk deploy --app "npx ts-node --project tsconfig.dev.json examples/weather/app.ts"`.
 */
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
// In your own app: import { ApiSource, ApiToFirehoseIngestion, Records } from 'cdk-api-ingestion';
import { ApiSource, ApiToFirehoseIngestion, Records } from '../../src';

export const WEATHER_STACK_NAME = 'WeatherIngestion';

export function buildWeatherApp(outdir?: string): { app: App; stack: Stack } {
  const app = new App({ outdir });
  const stack = new Stack(app, WEATHER_STACK_NAME, {
    env: {
      account: process.env.CDK_DEFAULT_ACCOUNT ?? '123456789012',
      region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1',
    },
  });

  new ApiToFirehoseIngestion(stack, 'Weather', {
    feedName: 'weather',
    schedule: ScheduleExpression.rate(Duration.minutes(15)),
    source: ApiSource.http({
      url: 'https://api.open-meteo.com/v1/forecast',
      query: { latitude: '37.57', longitude: '126.98', hourly: 'temperature_2m,precipitation' },
      records: Records.wholeResponse(),
    }),
  });
  return { app, stack };
}

/** One line per resource type with its count, then what the feed polls and where it lands. */
export function summarize(template: any): string {
  const counts = new Map<string, number>();
  for (const resource of Object.values<any>(template.Resources)) {
    counts.set(resource.Type, (counts.get(resource.Type) ?? 0) + 1);
  }
  const byType = (type: string) => Object.values<any>(template.Resources).find((r) => r.Type === type);
  const schedule = byType('AWS::Scheduler::Schedule');
  const event = JSON.parse(schedule.Properties.Target.Input);
  const stream = byType('AWS::KinesisFirehose::DeliveryStream').Properties.ExtendedS3DestinationConfiguration;
  const fn = byType('AWS::Lambda::Function').Properties;
  const lines = [
    `Resources (${Object.keys(template.Resources).length}):`,
    ...[...counts.entries()].sort().map(([type, n]) => `  ${String(n).padStart(2)}  ${type}`),
    '',
    `Feed        ${event.spec.feed} (spec version ${event.spec.version})`,
    `Polls       ${event.spec.request.method ?? 'GET'} ${event.spec.request.url} ${schedule.Properties.ScheduleExpression}`,
    `Records at  ${event.spec.records.path}`,
    `Poller      ${fn.Runtime}, ${fn.MemorySize} MB, ${fn.Timeout} s timeout`,
    `Delivers    ${stream.CompressionFormat} to s3://<bucket>/${stream.Prefix}`,
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const outdir = process.env.CDK_OUTDIR ?? path.join(process.cwd(), 'cdk.out');
  const { app, stack } = buildWeatherApp(outdir);
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  console.log(`Synthesized ${stack.stackName} into ${path.relative(process.cwd(), assembly.directory) || '.'}/${artifact.templateFile}\n`);
  console.log(summarize(artifact.template));
}
