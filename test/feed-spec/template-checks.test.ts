/**
 * Mistakes that used to pass `validate` and synth and fail only in a run (or run and fetch the
 * wrong data), each refused by validation with the field and the fix.
 */
import { validateFeedSpec } from '../../src/feed-spec/feed-spec';

const URL = 'https://api.example.com/v1/stations/{{ partition.station }}/observations';
const stations = { type: 'list', values: [{ station: 'ST-1' }, { station: 'ST-2' }] };

function problems(spec: Record<string, unknown>): Array<{ path: string; message: string }> {
  const result = validateFeedSpec({ version: 1, feed: 'f', records: { path: 'data' }, ...spec });
  return result.ok ? [] : result.problems;
}

describe('every {{ … }} is checked against what the spec declares', () => {
  test('a misspelt variable suggests the name the spec has', () => {
    expect(problems({ request: { url: 'https://api.example.com/v1/stations/{{ partiton.station }}/obs' }, partitions: stations })).toEqual([{
      path: 'spec.request.url',
      message: '{{ partiton.station }}: unknown variable "partiton.station"; did you mean partition.station?; use partition.<field>, cursor, page.token, run.time, window.start or window.end',
    }]);
  });

  test('a partition field no partition has names the fields there are', () => {
    expect(problems({ request: { url: URL, query: { region: '{{ partition.region }}' } }, partitions: stations })).toEqual([{
      path: 'spec.request.query.region',
      message: '{{ partition.region }}: no partition field "region" (the partitions have: station)',
    }]);
  });

  test('a field only some partitions have is refused: the others would fail every run', () => {
    const some = { type: 'list', values: [{ station: 'ST-1', region: 'north' }, { station: 'ST-2' }] };
    expect(problems({ request: { url: URL, query: { region: '{{ partition.region }}' } }, partitions: some }))
      .toEqual([{ path: 'spec.request.query.region', message: expect.stringMatching(/no partition field "region" \(the partitions have: station\)/) }]);
  });

  test('a parent request cannot name a partition or the cursor: it runs before either exists', () => {
    expect(problems({
      request: { url: URL, query: { since: '{{ cursor }}' } },
      partitions: { type: 'parent', request: { url: 'https://api.example.com/v1/stations?after={{ cursor }}' }, records: { path: 'stations' }, fields: { station: 'id' } },
      incremental: { cursorPath: 'at', type: 'datetime', start: '2026-01-01T00:00:00Z' },
    })).toEqual([{ path: 'spec.partitions.request.url', message: expect.stringMatching(/^\{\{ cursor \}\}: the parent request has no cursor/) }]);
  });

  test.each([
    ['an offset that is not an ISO 8601 duration', '{{ run.time | add: P1X }}', '{{ run.time | add: P1X }}: "P1X" is not an ISO 8601 duration such as P1D, PT1H or -PT30M'],
    ['a format without a pattern', '{{ run.time | format: }}', '{{ run.time | format: }}: format needs a pattern (e.g. format: yyyy-MM-dd) or one of iso, unix, unixms'],
    ['a misspelt filter', '{{ run.time | fromat: yyyy }}', '{{ run.time | fromat: yyyy }}: unknown filter "fromat"; did you mean format?; use add: <ISO duration>, format: <pattern> or raw'],
    ['a date filter on a value that is not a date', '{{ partition.station | add: P1D }}', '{{ partition.station | add: P1D }}: "add" works on dates (run.time, window.start, window.end, or a datetime cursor), not on partition.station'],
    ['an unclosed brace', 'since {{ run.time', 'has a "{{" without its "}}": write {{ name }}, or remove the braces'],
  ])('%s', (_name, value, message) => {
    expect(problems({ request: { url: URL, query: { q: value } }, partitions: stations })).toEqual([{ path: 'spec.request.query.q', message }]);
  });

  test('templates in a JSON body are checked, with the path of the string', () => {
    expect(problems({ request: { url: 'https://api.example.com/graphql', method: 'POST', body: { variables: { day: '{{ run.tim }}' } } } }))
      .toEqual([{ path: 'spec.request.body.variables.day', message: expect.stringMatching(/unknown variable "run.tim"; did you mean run.time\?/) }]);
  });

  test('what is declared passes: partitions, a datetime cursor with a format, the page token, run.time with an offset', () => {
    expect(problems({
      request: {
        url: URL,
        query: { since: '{{ cursor | format: yyyy-MM-dd }}', day: '{{ run.time | add: -P1D | format: yyyyMMdd }}' },
        headers: { 'X-Page': '{{ page.token }}' },
      },
      partitions: stations,
      pagination: { type: 'cursor', from: { path: 'next' } },
      incremental: { cursorPath: 'at', type: 'datetime', start: '2026-01-01T00:00:00Z' },
    })).toEqual([]);
  });
});

describe('{{ window.start }} and {{ window.end }}', () => {
  const datetime = { cursorPath: 'at', type: 'datetime', start: '2026-01-01T00:00:00Z' };
  test('with a datetime cursor they pass, and window.start counts as sending the cursor', () => {
    expect(problems({
      request: { url: 'https://api.example.com/v1/events', query: { from: '{{ window.start | format: unix }}', to: '{{ window.end | add: -PT1S }}' } },
      incremental: datetime,
    })).toEqual([]);
  });

  test.each([
    ['without incremental', undefined],
    ['with a number cursor', { cursorPath: 'seq', type: 'number', start: 0 }],
  ])('%s they are refused: a window starts at a datetime cursor', (_name, incremental) => {
    expect(problems({ request: { url: 'https://api.example.com/v1/events', query: { after: '{{ cursor }}', to: '{{ window.end }}' } }, incremental })
      .filter((p) => p.path === 'spec.request.query.to')).toEqual([{
      path: 'spec.request.query.to',
      message: expect.stringMatching(/^\{\{ window.end \}\}: a time window needs a datetime cursor \(an "incremental" section of type datetime\)/),
    }]);
  });

  test('a misspelt window variable suggests the right one', () => {
    expect(problems({ request: { url: 'https://api.example.com/v1/events', query: { since: '{{ cursor }}', to: '{{ window.ned }}' } }, incremental: datetime }))
      .toEqual([{ path: 'spec.request.query.to', message: expect.stringMatching(/unknown variable "window.ned"; did you mean window.end\?/) }]);
  });
});

describe('incremental and {{ cursor }} go together', () => {
  test('incremental without {{ cursor }} in the request is refused: every run would fetch everything', () => {
    expect(problems({ request: { url: 'https://api.example.com/v1/events' }, incremental: { cursorPath: 'at', type: 'datetime', start: '2026-01-01T00:00:00Z' } }))
      .toEqual([{ path: 'spec.incremental', message: expect.stringMatching(/^the request never sends \{\{ cursor \}\} \(or \{\{ window.start \}\}\), so every run would fetch everything again/) }]);
  });

  test('{{ cursor }} without incremental is refused', () => {
    expect(problems({ request: { url: 'https://api.example.com/v1/events', query: { since: '{{ cursor }}' } } })).toEqual([{
      path: 'spec.request.query.since',
      message: '{{ cursor }}: the request has no cursor; add an "incremental" section (the cursor\'s field, type and start), or remove {{ cursor }}',
    }]);
  });

  test('a number cursor: a negative start is refused, its window is "lookback" and a date filter on it is refused', () => {
    const request = { url: 'https://api.example.com/v1/events', query: { after: '{{ cursor | format: unix }}' } };
    expect(problems({ request, incremental: { cursorPath: 'seq', type: 'number', start: -5, lookbackSeconds: 10 } })).toEqual([
      { path: 'spec.incremental.lookbackSeconds', message: 'is for a datetime cursor; a number cursor\'s window is lookback, in the cursor\'s own units' },
      { path: 'spec.incremental.start', message: 'must be 0 or more (got -5): the first run asks for records after it' },
      { path: 'spec.request.query.after', message: '{{ cursor | format: unix }}: "format" works on dates (run.time, window.start, window.end, or a datetime cursor), not on cursor' },
    ]);
    expect(problems({ request: { ...request, query: { after: '{{ cursor }}' } }, incremental: { cursorPath: 'seq', type: 'number', start: 0, lookback: 100 } })).toEqual([]);
  });

  test('a datetime cursor\'s window is lookbackSeconds', () => {
    expect(problems({
      request: { url: 'https://api.example.com/v1/events', query: { since: '{{ cursor }}' } },
      incremental: { cursorPath: 'at', type: 'datetime', start: '2026-01-01T00:00:00Z', lookback: 60 },
    })).toEqual([{ path: 'spec.incremental.lookback', message: 'is for a number cursor; a datetime cursor\'s window is lookbackSeconds' }]);
  });
});

describe('JSONPath the poller would refuse at run time is refused at validation', () => {
  test.each([
    ['spec.records.path', { records: { path: '$.data[?(@.active)]' } }],
    ['spec.pagination.stop.hasMorePath', { pagination: { type: 'pageNumber', param: 'page', stop: { hasMorePath: '$..[(@.length-1)]' } } }],
    ['spec.partitions.fields.station', { partitions: { type: 'parent', request: { url: 'https://api.example.com/s' }, records: { path: 'stations' }, fields: { station: '$[?(@.id)]' } } }],
  ])('a filter or script expression at %s', (path, spec) => {
    const found = problems({ request: { url: 'https://api.example.com/v1/items' }, ...spec });
    expect(found).toEqual([{ path, message: expect.stringMatching(/has a JSONPath filter or script expression \(\[\?\(\.\.\.\)\] or \[\(\.\.\.\)\]\), which the poller never evaluates/) }]);
  });

  test('an unbalanced bracket', () => {
    expect(problems({ request: { url: 'https://api.example.com/v1/items' }, records: { path: '$.data[*' } }))
      .toEqual([{ path: 'spec.records.path', message: expect.stringMatching(/has an unbalanced "\["/) }]);
  });
});

describe('messages in the user\'s terms', () => {
  test('an unknown key suggests the nearest valid one and lists the fields there', () => {
    expect(problems({ request: { url: 'https://api.example.com/v1/items' }, pagination: { type: 'cursor', from: { path: 'next' }, param: 'c', stop: { hasMorPath: 'more' } } }))
      .toEqual([{
        path: 'spec.pagination.stop.hasMorPath',
        message: 'is not a field here; did you mean "hasMorePath"? (fields here: emptyPage, shortPage, hasMorePath, hasMoreHeader, donePath, totalPath, totalPagesPath, maxPages)',
      }]);
  });

  test('a value that is not one of the choices lists them and suggests the nearest', () => {
    expect(problems({ request: { url: 'https://api.example.com/v1/items', method: 'get' }, pagination: { type: 'pagenumber', param: 'p' } })).toEqual([
      { path: 'spec.request.method', message: '"get" is not one of GET, POST; did you mean "GET"?' },
      { path: 'spec.pagination.type', message: '"pagenumber" is not one of none, pageNumber, offset, cursor, nextUrl, linkHeader; did you mean "pageNumber"?' },
    ]);
    expect(problems({ request: { url: 'https://api.example.com/v1/items' }, pagination: { param: 'p' } }))
      .toEqual([{ path: 'spec.pagination.type', message: 'is required: one of none, pageNumber, offset, cursor, nextUrl, linkHeader' }]);
  });

  test('a missing field is "required", not "expected string, received undefined"', () => {
    expect(problems({ request: {} })).toEqual([{ path: 'spec.request.url', message: 'is required (string)' }]);
  });
});
