/**
 * Templates with values the API controls (parent records, page tokens, cursors): they are
 * encoded for the part of the URL they land in, so they cannot change the path or the query.
 */
import { renderString, renderUrl, TemplateError } from '../../../src/runtime/engine/template';

const runTime = new Date('2026-11-25T12:00:00Z');
const at = (partition: Record<string, string>, url: string) => renderUrl(url, { runTime, partition });

describe('URL templates', () => {
  test.each([
    ['../admin', 'https://api.example.com/v1/stations/..%2Fadmin/obs'],
    ['SEL?admin=1#x', 'https://api.example.com/v1/stations/SEL%3Fadmin%3D1%23x/obs'],
    ['a/b', 'https://api.example.com/v1/stations/a%2Fb/obs'],
    ['%2e%2e', 'https://api.example.com/v1/stations/%252e%252e/obs'],
  ])('a path value %j is one encoded segment', (id, expected) => {
    const url = at({ id }, 'https://api.example.com/v1/stations/{{ partition.id }}/obs');
    expect(url).toBe(expected);
    expect(new URL(url).pathname.split('/')).toHaveLength(5);
  });

  test.each(['.', '..'])('a path value %j, which a URL parser resolves even encoded, is refused', (id) => {
    expect(() => at({ id }, 'https://api.example.com/v1/{{ partition.id }}/obs')).toThrow(/which would change the URL's path/);
  });

  test('a query value in the URL cannot add parameters', () => {
    const url = new URL(at({ q: 'x&admin=1' }, 'https://api.example.com/v1/search?q={{ partition.q }}&limit=5'));
    expect([...url.searchParams.entries()]).toEqual([['q', 'x&admin=1'], ['limit', '5']]);
  });

  test('a host value may hold only host-name characters', () => {
    expect(at({ region: 'eu-west' }, 'https://{{ partition.region }}.api.example.com/v1')).toBe('https://eu-west.api.example.com/v1');
    expect(() => at({ region: 'evil.com/x?' }, 'https://{{ partition.region }}.api.example.com/v1')).toThrow(/a host may take only letters/);
    expect(() => at({ region: 'evil.com:8080@x' }, 'https://{{ partition.region }}.api.example.com/v1')).toThrow(/a host may take only letters/);
  });

  test('| raw is the explicit opt-in for a value inserted as it is', () => {
    expect(at({ path: 'a/b/c' }, 'https://api.example.com/{{ partition.path | raw }}/x')).toBe('https://api.example.com/a/b/c/x');
  });

  test.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('{{ partition.%s }} is not a declared field: an error, never inherited text', (name) => {
    expect(() => at({ id: 'x' }, `https://api.example.com/{{ partition.${name} }}`)).toThrow(TemplateError);
    expect(() => renderString(`{{ partition.${name} }}`, { runTime, partition: { id: 'x' } })).toThrow(`the partition has no parameter "${name}"`);
  });

  test('{{ page.token }} in the path is encoded like any other value', () => {
    expect(renderUrl('https://api.example.com/pages/{{ page.token }}', { runTime, pageToken: '../../admin' })).toBe('https://api.example.com/pages/..%2F..%2Fadmin');
  });
});
