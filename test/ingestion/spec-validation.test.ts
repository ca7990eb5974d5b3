import { CfnParameter, Duration, Fn } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  ApiSource, ApiToFirehoseIngestion, Column, ExecutionMode, Format, Incremental, Pagination, Partitions, Records, RecordSchema,
  TimePartitioning, Transform,
} from '../../src';
import * as feedSpec from '../../src/feed-spec/feed-spec';
import { templateOf, testStack } from '../helpers/synth';

function feedWith(url: string, recordsPath: string, feedName = 'feed'): () => void {
  return () => new ApiToFirehoseIngestion(testStack(), 'Feed', {
    feedName,
    source: ApiSource.http({ url, records: Records.at(recordsPath) }),
  });
}

describe('a wrong spec fails at synth with the field and what is allowed', () => {
  test('a URL that is not http(s)', () => {
    expect(feedWith('ftp://files.example.com/data.json', 'data')).toThrow(
      /spec\.request\.url: must be an absolute http:\/\/ or https:\/\/ URL/,
    );
  });

  test('a schema column that the transform\'s records never have fails at synth, with the nearest field', () => {
    expect(() => new ApiToFirehoseIngestion(testStack(), 'Feed', {
      feedName: 'issues',
      source: ApiSource.http({
        url: 'https://api.example.com/issues',
        records: Records.at('data'),
        transform: Transform.jsonata('{ "id": id, "author": user.login }'),
        schema: RecordSchema.of({ id: Column.integer(), autor: Column.string() }),
      }),
    })).toThrow(/spec\.schema\.columns\.autor: reads "autor", but the transform's records never have a field "autor" \(they have "id", "author"\); did you mean "author"\?/);
  });

  test('a URL that is not a URL at all', () => {
    expect(feedWith('api.example.com/items', 'data')).toThrow(/spec\.request\.url: must be an absolute http/);
  });

  test('an empty records path', () => {
    expect(feedWith('https://api.example.com/items', '')).toThrow(
      /spec\.records\.path: must name where the records are in the response, for example "data"/,
    );
  });

  test('a records path of only spaces', () => {
    expect(feedWith('https://api.example.com/items', '   ')).toThrow(/spec\.records\.path: must name where the records are/);
  });

  test('an invalid feed name is reported as the prop the user set, feedName', () => {
    expect(feedWith('https://api.example.com/items', 'data', 'Weather Feed')).toThrow(
      /- feedName: 'Weather Feed' must be 1-64 characters of lowercase letters, digits/,
    );
  });

  test('a feed name made from the construct id says so, and how to choose one', () => {
    expect(() => new ApiToFirehoseIngestion(testStack(), '-Feed', {
      source: ApiSource.http({ url: 'https://api.example.com/items', records: Records.at('data') }),
    })).toThrow(/feedName: '-feed' must be .* \(made from the construct id or the spec: set feedName\)/);
  });

  test('a problem in a builder-made spec names the builder prop the user set', () => {
    const synth = (props: Record<string, unknown>) => () => new ApiToFirehoseIngestion(testStack(), 'Feed', {
      source: ApiSource.http({ url: 'https://api.example.com/items?after={{ cursor }}', records: Records.at('data'), ...props }),
    });
    expect(synth({ incremental: Incremental.number({ recordPath: 'seq', start: 0, lookback: -5 }) }))
      .toThrow('- Incremental.number({ lookback }) at spec.incremental.lookback: must be 0 or more');
    expect(synth({ incremental: Incremental.datetime({ recordPath: 'at', start: 'yesterday', lookback: Duration.minutes(5) }) }))
      .toThrow(/- Incremental\.datetime\(\{ start \}\) at spec\.incremental\.start: a datetime cursor's start "yesterday" is not an ISO 8601 date/);
    expect(synth({ pagination: Pagination.pageNumber({ param: 'page', maxPages: 0 }), incremental: Incremental.number({ recordPath: 'seq', start: 0 }) }))
      .toThrow(/- Pagination\.pageNumber\(\{ maxPages \}\) at spec\.pagination\.stop\.maxPages: must be at least 1/);
  });

  test('a template name the spec does not declare fails at synth, with a suggestion', () => {
    expect(() => new ApiToFirehoseIngestion(testStack(), 'Feed', {
      source: ApiSource.http({
        url: 'https://api.example.com/stations/{{ partiton.station }}/obs',
        records: Records.at('data'),
        partitions: Partitions.list([{ station: 'ST-1' }]),
      }),
    })).toThrow(/ApiSource\.http\(\{ url \}\) at spec\.request\.url: \{\{ partiton\.station \}\}: unknown variable "partiton\.station"; did you mean partition\.station\?/);
  });

  test('a JSON spec is validated once per synth, in fromSpec; a renamed feed checks only its new name', () => {
    const validate = jest.spyOn(feedSpec, 'validateFeedSpec');
    try {
      const source = ApiSource.fromSpec({ version: 1, feed: 'weather', request: { url: 'https://api.example.com/w' }, records: { path: 'data' } });
      new ApiToFirehoseIngestion(testStack(), 'Feed', { source });
      expect(validate).toHaveBeenCalledTimes(1);
      expect(() => new ApiToFirehoseIngestion(testStack(), 'Other', { source, feedName: 'Not Valid' })).toThrow(/feedName: 'Not Valid' must be/);
      expect(validate).toHaveBeenCalledTimes(1);
    } finally {
      validate.mockRestore();
    }
  });

  test('several problems are reported together, each with its path', () => {
    let message = '';
    try {
      feedWith('ftp://x', '', 'BAD')();
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("ApiToFirehoseIngestion 'TestStack/Feed': the feed spec is invalid (3 problem(s))");
    expect(message).toMatch(/feedName: 'BAD' must be/);
    expect(message).toMatch(/spec\.request\.url:/);
    expect(message).toMatch(/spec\.records\.path:/);
  });

  test('a spec too large for the schedule\'s input names the limit and the fix', () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 300; i++) {
      headers[`x-header-${i}`] = 'v'.repeat(1000);
    }
    expect(() => new ApiToFirehoseIngestion(testStack(), 'Feed', {
      source: ApiSource.http({ url: 'https://api.example.com/items', headers, records: Records.at('data') }),
    })).toThrow(/bytes as JSON, but it travels in the schedule's input, which EventBridge Scheduler limits to 262144 bytes/);
  });

  test('a valid spec synthesizes', () => {
    expect(feedWith('https://api.example.com/items', 'data')).not.toThrow();
  });
});

describe('values known only at deploy time (CDK tokens)', () => {
  function scheduleInputOf(build: (stack: ReturnType<typeof testStack>) => ApiSource): string {
    const stack = testStack();
    new ApiToFirehoseIngestion(stack, 'Feed', { feedName: 'feed', source: build(stack) });
    const schedules = templateOf(stack).findResources('AWS::Scheduler::Schedule');
    return JSON.stringify(Object.values(schedules)[0].Properties.Target.Input);
  }

  test('a URL that is a token as a whole (a CfnParameter) synthesizes and reaches the poller resolved at deploy', () => {
    const input = scheduleInputOf((stack) => ApiSource.http({
      url: new CfnParameter(stack, 'ApiUrl', { type: 'String' }).valueAsString,
      records: Records.at('data'),
    }));
    expect(input).toContain('{"Ref":"ApiUrl"}');
  });

  test('a URL with a token inside (an imported host) is checked around the token', () => {
    const input = scheduleInputOf(() => ApiSource.http({
      url: `https://${Fn.importValue('weather-api-host')}/v1/items`,
      records: Records.at('data'),
    }));
    expect(input).toContain('"Fn::ImportValue":"weather-api-host"');
    // The literal parts are still checked: no host makes ftp:// an http(s) URL.
    expect(() => new ApiToFirehoseIngestion(testStack(), 'Feed', {
      source: ApiSource.http({ url: `ftp://${Fn.importValue('weather-api-host')}/v1/items`, records: Records.at('data') }),
    })).toThrow(/spec\.request\.url: must be an absolute http:\/\/ or https:\/\/ URL/);
    // A token where only a number fits (a port) is not refused for the stand-in's sake.
    expect(() => new ApiToFirehoseIngestion(testStack(), 'Feed', {
      source: ApiSource.http({ url: `https://api.example.com:${Fn.importValue('weather-api-port')}/v1/items`, records: Records.at('data') }),
    })).not.toThrow();
  });

  test('a URL that starts with a token (a function URL or a stage URL, then a path) synthesizes; its path is still checked', () => {
    const input = scheduleInputOf((stack) => {
      const fn = new lambda.Function(stack, 'Api', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})') });
      const base = fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE }).url;
      return ApiSource.http({
        url: `${base}stations/{{ partition.station }}/observations`,
        records: Records.at('data'),
        partitions: Partitions.fromParent({ url: `${base}stations`, records: Records.at('stations'), fields: { station: 'id' } }),
      });
    });
    expect(input).toMatch(/"Fn::GetAtt":\["ApiFunctionUrl[0-9A-F]+","FunctionUrl"\]},"stations\//);
    // The rest of the URL is still the spec's to get right: a template that is not closed fails.
    expect(() => new ApiToFirehoseIngestion(testStack(), 'Feed', {
      source: ApiSource.http({ url: `${Fn.importValue('api-url')}stations/{{ partition.station`, records: Records.at('data') }),
    })).toThrow(/spec\.request\.url/);
  });

  test('the synth-time reading of the spec (event time folders, a distributed feed\'s backfill check) takes a deploy-time URL', () => {
    const typed = (url: string) => ApiSource.http({
      url,
      records: Records.at('data'),
      schema: RecordSchema.of({ id: Column.string(), observed_at: Column.timestamp() }),
      incremental: Incremental.datetime({ recordPath: 'observed_at', start: '2026-01-01T00:00:00Z' }),
    });
    expect(() => new ApiToFirehoseIngestion(testStack(), 'Feed', {
      source: typed(`${Fn.importValue('api-url')}observations?since={{ cursor }}`), format: Format.parquet(), timePartitioning: TimePartitioning.eventTime(),
    })).not.toThrow();
    expect(() => new ApiToFirehoseIngestion(testStack(), 'Feed', {
      source: typed(`${Fn.importValue('api-url')}observations?from={{ window.start }}&to={{ window.end }}`), executionMode: ExecutionMode.distributed(),
    })).not.toThrow();
  });

  test('problems elsewhere in a spec with tokens are still reported', () => {
    expect(() => new ApiToFirehoseIngestion(testStack(), 'Feed', {
      source: ApiSource.http({ url: Fn.importValue('weather-api-url'), records: Records.at('') }),
    })).toThrow(/spec\.records\.path: must name where the records are/);
  });

  test('ApiSource.fromSpec defers tokens the same way', () => {
    expect(() => ApiSource.fromSpec({ version: 1, feed: 'feed', request: { url: Fn.importValue('weather-api-url') }, records: { path: 'data' } })).not.toThrow();
    expect(() => ApiSource.fromSpec({ version: 1, feed: 'feed', request: { url: Fn.importValue('weather-api-url') }, records: { path: '' } }))
      .toThrow(/spec\.records\.path/);
  });

  test('a literal Authorization header fails at synth and points to Auth with a secret', () => {
    expect(() => new ApiToFirehoseIngestion(testStack(), 'Feed', {
      source: ApiSource.http({ url: 'https://api.example.com/v1/items', headers: { Authorization: 'Bearer sk-live-123' }, records: Records.at('data') }),
    })).toThrow(/spec\.request\.headers\.Authorization: "Authorization" carries a credential, which must not be written into the spec .*Auth\.bearer, Auth\.apiKeyHeader/);
  });

  test('a spec nested 100,000 levels deep fails at synth with a clear message, not a stack overflow', () => {
    let body: unknown = 1;
    for (let i = 0; i < 100_000; i++) body = { a: body };
    expect(() => ApiSource.fromSpec({ version: 1, feed: 'feed', request: { url: 'https://api.example.com/v1', method: 'POST', body }, records: { path: 'data' } }))
      .toThrow(/spec\.request\.body\.a\.a.*: nests deeper than 32 levels/);
  });
});
