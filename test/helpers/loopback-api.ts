/**
 * A real HTTP server on loopback that plays a third-party API in tests.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => unknown;

export interface LoopbackApi {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  /** Every request received, in order (method and path with query). */
  readonly requests: Array<{ method: string; path: string; headers: IncomingMessage['headers'] }>;
  close(): Promise<void>;
}

export async function startLoopbackApi(routes: Record<string, Route>): Promise<LoopbackApi> {
  const requests: LoopbackApi['requests'] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://loopback');
    requests.push({ method: req.method ?? 'GET', path: `${url.pathname}${url.search}`, headers: req.headers });
    // Exact paths first; a key ending in "/*" matches every path under it.
    const route = routes[url.pathname]
      ?? Object.entries(routes).find(([key]) => key.endsWith('/*') && url.pathname.startsWith(key.slice(0, -1)))?.[1];
    if (!route) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    Promise.resolve(route(req, res, url)).catch((err) => {
      res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
}
