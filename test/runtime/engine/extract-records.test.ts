import { BadResponseError as RecordsPathError, extractRecords } from '../../../src/runtime/engine/extract-records';

describe('extractRecords', () => {
  const body = { data: [{ id: 1 }, { id: 2 }], results: { items: [{ id: 3 }] }, one: { id: 4 }, n: 5, empty: [] };

  test.each([
    ['data', [{ id: 1 }, { id: 2 }]],
    ['$.data', [{ id: 1 }, { id: 2 }]],
    ['$.data[*]', [{ id: 1 }, { id: 2 }]],
    ['results.items', [{ id: 3 }]],
    ['one', [{ id: 4 }]],
    ['empty', []],
  ])('path %s', (path, expected) => {
    expect(extractRecords(body, path)).toEqual(expected);
  });

  test('"$" is the whole response as one record', () => {
    expect(extractRecords({ temperature: 3 }, '$')).toEqual([{ temperature: 3 }]);
  });

  test('a path that matches nothing is an error naming the path', () => {
    expect(() => extractRecords(body, 'items')).toThrow(new RecordsPathError('records path "items" matched nothing in the response'));
  });

  test('a path that matches a scalar is an error', () => {
    expect(() => extractRecords(body, 'n')).toThrow(/matched a number; each record must be a JSON object/);
  });

  test('script expressions are not evaluated', () => {
    expect(() => extractRecords(body, '$.data[?(@.id > 1)]')).toThrow();
  });
});
