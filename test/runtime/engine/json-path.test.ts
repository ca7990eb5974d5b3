import fc from 'fast-check';
import { JSONPath } from 'jsonpath-plus';
import { plainMemberPath, queryAll, toJsonPath } from '../../../src/runtime/engine/json-path';

// Member names that collide with what objects and arrays inherit, next to ordinary ones.
const names = fc.constantFrom('data', 'next', 'items', 'length', 'toString', 'constructor', '__proto__', 'hasOwnProperty', '_x');

describe('queryAll', () => {
  test('a path of member names finds exactly what JSONPath finds', () => {
    const documents = fc.tuple(
      fc.dictionary(names, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
      fc.array(names, { minLength: 1, maxLength: 3 }),
      fc.nat(),
    )
      .map(([root, path, cut]) => {
        // Nest the root under the first part of the path, so that the rest of the path is looked
        // up in it, reaching into its values (arrays and strings too) as often as missing them.
        const nested = path.slice(0, cut % path.length).reduceRight<unknown>((inner, name) => ({ [name]: inner }), root);
        return { document: JSON.parse(JSON.stringify(nested)) as object, path };
      });
    fc.assert(fc.property(documents, fc.boolean(), ({ document, path }, dollar) => {
      const text = `${dollar ? '$.' : ''}${path.join('.')}`;
      const expected = JSONPath({ path: toJsonPath(text), json: document, wrap: true, eval: false });
      expect(queryAll(document, text)).toEqual(expected);
    }), { numRuns: 2_000 });
  });

  test('the cases where JSONPath finds inherited-looking names', () => {
    expect(queryAll({ data: [1, 2] }, 'data.length')).toEqual([2]);
    expect(queryAll({ data: 'abc' }, '$.data.length')).toEqual([3]);
    expect(queryAll({ data: '' }, '$.data.length')).toEqual([]);
    expect(queryAll({}, 'toString')).toEqual([]);
    expect(queryAll({ a: null }, 'a')).toEqual([null]);
    expect(queryAll({ a: null }, 'a.b')).toEqual([]);
    expect(queryAll({ a: [{ b: 1 }] }, 'a.b')).toEqual([]);
    expect(queryAll(JSON.parse('{"__proto__":{"x":1}}'), '__proto__')).toEqual([{ x: 1 }]);
  });

  test('other paths still go through JSONPath', () => {
    const document = { data: [{ id: 1, ok: true }, { id: 2, ok: false }], meta: { a: { b: 1 }, c: { b: 2 } } };
    expect(queryAll(document, '$.data[*]')).toEqual(document.data);
    expect(queryAll(document, 'data')).toEqual([document.data]);
    expect(queryAll(document, '$.meta.*.b')).toEqual([1, 2]);
    expect(queryAll(document, '$..id')).toEqual([1, 2]);
    expect(queryAll({ data: { a: { id: 1 } } }, '$.data[*]')).toEqual([{ id: 1 }]);
  });
});

describe('plainMemberPath', () => {
  test('only paths that name one value are scanned; filters and wildcards are left to JSONPath', () => {
    expect(plainMemberPath('data')).toEqual(['data']);
    expect(plainMemberPath('$.results.items[*]')).toEqual(['results', 'items']);
    expect(plainMemberPath('$')).toEqual([]);
    expect(plainMemberPath('$[*]')).toEqual([]);
    expect(plainMemberPath('$..items')).toBeUndefined();
    expect(plainMemberPath('$.data[?(@.active)]')).toBeUndefined();
    expect(plainMemberPath('$.pages[*].items')).toBeUndefined();
    expect(plainMemberPath("$['data']")).toBeUndefined();
  });
});
