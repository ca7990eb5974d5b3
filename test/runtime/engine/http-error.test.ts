/**
 * An error answer's body travels with the HttpError for a caller that reads the API's error format
 * (the OAuth2 token endpoint's `error` code), and nowhere else: the message holds a redacted
 * excerpt; the body itself is not enumerable, so an error spread into a log line or a dead letter
 * does not carry an echoed secret.
 */
import { HttpClient, HttpError } from '../../../src/runtime/engine/http-client';
import { originOf } from '../../../src/runtime/engine/origins';
import { SecretRedactor } from '../../../src/runtime/redaction/secret-redactor';
import { json, LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';
import { memoryLogger } from '../../helpers/memory-logger';

const SECRET = 'cl13nt-S3cret/Echoed';
let api: LoopbackApi;
beforeAll(async () => {
  // An endpoint that echoes what it was sent in its error answer, as some do.
  api = await startLoopbackApi({ '/token': (_req, res) => json(res, 400, { error: 'invalid_client', error_description: `unknown client secret ${SECRET}` }) });
});
afterAll(() => api.close());

test('a 400 answer: the error keeps the body for its caller, not enumerable, and its message is redacted', async () => {
  const redactor = new SecretRedactor();
  redactor.add(SECRET);
  const http = new HttpClient({
    timeoutMs: 5_000,
    maxRetries: 0,
    maxResponseBytes: 1_000_000,
    allowedOrigins: [originOf(new URL(api.url))],
    addressPolicy: { allowLoopback: true },
    logger: memoryLogger(),
    redactor,
  });
  let error: unknown;
  try {
    await http.request({ url: `${api.url}/token`, method: 'POST', headers: {}, body: 'grant_type=refresh_token' });
  } catch (err) {
    error = err;
  } finally {
    http.close();
  }
  expect(error).toBeInstanceOf(HttpError);
  const httpError = error as HttpError;
  expect(httpError.status).toBe(400);
  expect(JSON.parse(httpError.responseBody!.toString('utf8')).error).toBe('invalid_client');
  expect(httpError.message).toContain('answered HTTP 400');
  expect(httpError.message).not.toContain(SECRET);
  expect(Object.keys(httpError)).not.toContain('responseBody');
  expect(JSON.stringify({ ...httpError })).not.toContain(SECRET);
});
