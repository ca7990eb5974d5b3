/**
 * Fetches one API response. Uses Node's built-in fetch, so it adds nothing to the bundle.
 */
export class HttpError extends Error {
  constructor(
    message: string,
    public readonly status: number | undefined,
    public readonly url: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface HttpRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly url: string;
  readonly body: unknown;
}

export async function fetchJson(request: HttpRequest): Promise<HttpResponse> {
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: { accept: 'application/json', ...request.headers },
      signal: AbortSignal.timeout(request.timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    throw new HttpError(`${request.method} ${request.url} failed: ${(err as Error).message}`, undefined, request.url);
  }
  const text = await response.text();
  if (!response.ok) {
    throw new HttpError(`${request.method} ${request.url} answered HTTP ${response.status}`, response.status, request.url);
  }
  try {
    return { status: response.status, url: request.url, body: JSON.parse(text) };
  } catch {
    throw new HttpError(
      `${request.method} ${request.url} answered HTTP ${response.status} with a body that is not JSON (${text.length} characters)`,
      response.status,
      request.url,
    );
  }
}
