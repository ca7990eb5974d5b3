/**
 * The redactor against every form a secret takes on the wire or in an echo of it. Each case is a
 * text a poller could write (an error with a response snippet, a URL, a header) holding the secret.
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { powertoolsLogger } from '../../../src/runtime/entrypoints/powertools';
import { jsonLogger } from '../../../src/runtime/logging/json-logger';
import { REDACTED, SecretRedactor } from '../../../src/runtime/redaction/secret-redactor';

const SECRET = 'pa/ss w~rd!\'(é)"\\';

const jsonEscapedSlash = (text: string) => JSON.stringify(text).slice(1, -1).replace(/\//g, '\\/');
const unicodeEscaped = (text: string, upper: boolean) => [...text].map((c) => {
  const hex = c.charCodeAt(0).toString(16).padStart(4, '0');
  return `\\u${upper ? hex.toUpperCase() : hex}`;
}).join('');
const nonAsciiEscaped = (text: string) => JSON.stringify(text).slice(1, -1).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

describe('SecretRedactor', () => {
  const redactor = new SecretRedactor();
  redactor.add(SECRET);

  test.each([
    ['as it is', SECRET],
    ['encodeURIComponent (a path)', encodeURIComponent(SECRET)],
    ['the query encoder (space as +, ~ ! \' ( percent-encoded)', new URLSearchParams({ k: SECRET }).toString().slice(2)],
    ['base64', Buffer.from(SECRET).toString('base64')],
    ['base64url', Buffer.from(SECRET).toString('base64url')],
    ['JSON-escaped (\\" and \\\\)', JSON.stringify(SECRET).slice(1, -1)],
    ['JSON-escaped with \\/ (PHP\'s json_encode)', jsonEscapedSlash(SECRET)],
    ['JSON with non-ASCII as \\uXXXX (Python\'s json.dumps)', nonAsciiEscaped(SECRET)],
    ['every character as \\uXXXX, lowercase', unicodeEscaped(SECRET, false)],
    ['every character as \\uXXXX, uppercase', unicodeEscaped(SECRET, true)],
  ])('redacts the secret %s', (_form, spelled) => {
    const text = `HTTP 400: {"error":"denied","echo":"${spelled}"}`;
    const redacted = redactor.redact(text);
    expect(redacted).toBe(`HTTP 400: {"error":"denied","echo":"${REDACTED}"}`);
  });

  test('the forms of the query encoder differ from encodeURIComponent: both are redacted', () => {
    expect(new URLSearchParams({ k: SECRET }).toString().slice(2)).not.toBe(encodeURIComponent(SECRET));
  });

  test('a character outside the Basic Multilingual Plane, escaped as a surrogate pair', () => {
    const r = new SecretRedactor();
    r.add('key-🔑-42');
    expect(r.redact('{"k":"key-\\ud83d\\udd11-42"}')).toBe(`{"k":"${REDACTED}"}`);
  });

  test('a secret inside a longer one: the longer is replaced whole', () => {
    const r = new SecretRedactor();
    r.add('abcd');
    r.add('xxabcdxx');
    expect(r.redact('1 xxabcdxx 2 abcd')).toBe(`1 ${REDACTED} 2 ${REDACTED}`);
  });

  test('a short secret is redacted too', () => {
    const r = new SecretRedactor();
    r.add('pw');
    expect(r.redact('user:pw')).toBe(`user:${REDACTED}`);
  });

  test('a numeric secret (2024) redacts strings and leaves structured output valid', () => {
    const r = new SecretRedactor();
    r.add('2024');
    expect(r.redactValue({ durationMs: 2024, time: '2024-01-01', list: ['x2024'] })).toEqual({ durationMs: 2024, time: `${REDACTED}-01-01`, list: [`x${REDACTED}`] });
    const lines: string[] = [];
    jsonLogger(r, (line) => lines.push(line)).info('run 2024 done', { durationMs: 2024, partition: { year: '2024' } });
    expect(JSON.parse(lines[0])).toMatchObject({ message: `run ${REDACTED} done`, durationMs: 2024, partition: { year: REDACTED } });
  });

  test('the Lambda logger (Powertools) does not throw on a numeric secret, and redacts', () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => { written.push(String(chunk)); return true; });
    try {
      const r = new SecretRedactor();
      r.add('2024');
      const logger = powertoolsLogger(new PowertoolsLogger({ serviceName: 'test' }), r);
      expect(() => logger.info('run done', { durationMs: 2024, token: 'tok-2024' })).not.toThrow();
    } finally {
      spy.mockRestore();
    }
    const entry = JSON.parse(written.join('').trim().split('\n').pop()!);
    expect(entry).toMatchObject({ message: 'run done', durationMs: 2024, token: `tok-${REDACTED}` });
  });

  test('redactError keeps the error class and name, for retry decisions', () => {
    class Custom extends Error { public name = 'Custom'; }
    const err = redactor.redactError(new Custom(`failed with ${SECRET}`));
    expect(err).toBeInstanceOf(Custom);
    expect(err.message).toBe(`failed with ${REDACTED}`);
    expect(err.stack).not.toContain(SECRET);
  });
});
