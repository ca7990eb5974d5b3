/**
 * A proxy between the AWS SDK and moto that forwards DynamoDB's writes one at a time. DynamoDB
 * applies the writes to one item one after the other: a conditional `UpdateItem` sees the effect
 * of every write before it. moto's server handles requests on threads and does not: two concurrent
 * `ADD`s can read the same value and both return it (the shared rate budget's test once saw 19
 * distinct slots of 20 that way). Serializing the writes here gives the tests DynamoDB's guarantee,
 * which the code relies on, so that their verdict does not depend on how busy the machine is.
 * Reads and other services pass through untouched and concurrently.
 */
import { createServer, IncomingMessage, request as httpRequest, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const WRITES = /^DynamoDB_20120810\.(UpdateItem|PutItem|DeleteItem|BatchWriteItem|TransactWriteItems)$/;

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export interface SerializingProxy {
  readonly url: string;
  /** Writes forwarded (one at a time). */
  writes: number;
  close(): Promise<void>;
}

export async function startSerializingProxy(targetUrl: string): Promise<SerializingProxy> {
  const target = new URL(targetUrl);
  let queue: Promise<unknown> = Promise.resolve();
  const proxy = { writes: 0 } as { writes: number };
  type Answer = { status: number; headers: Record<string, any>; body: Buffer };
  const forward = (req: IncomingMessage, body: Buffer) => new Promise<Answer>((resolve, reject) => {
    const headers = { ...req.headers, 'host': target.host, 'content-length': String(body.length) };
    const out = httpRequest({ hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    out.on('error', reject);
    out.end(body);
  });
  const server: Server = createServer(async (req, res) => {
    try {
      const body = await readAll(req);
      const write = WRITES.test(String(req.headers['x-amz-target'] ?? ''));
      let answer;
      if (write) {
        proxy.writes += 1;
        const turn = queue.then(() => forward(req, body));
        queue = turn.catch(() => undefined);
        answer = await turn;
      } else {
        answer = await forward(req, body);
      }
      res.writeHead(answer.status, answer.headers).end(answer.body);
    } catch (err) {
      res.writeHead(502).end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
