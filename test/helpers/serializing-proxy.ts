/**
 * A proxy between the AWS SDK and moto that forwards DynamoDB's writes one at a time. DynamoDB
 * applies the writes to one item one after the other: a conditional `UpdateItem` sees the effect
 * of every write before it. moto's server handles requests on threads and does not: two concurrent
 * `ADD`s can read the same value and both return it (the shared rate budget's test once saw 19
 * distinct slots of 20 that way). Serializing the writes here gives the tests DynamoDB's guarantee,
 * which the code relies on, so that their verdict does not depend on how busy the machine is.
 * Reads and other services pass through untouched and concurrently.
 */
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forward, readAll } from './fault-proxy';

const WRITES = /^DynamoDB_20120810\.(UpdateItem|PutItem|DeleteItem|BatchWriteItem|TransactWriteItems)$/;

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
  const server: Server = createServer(async (req, res) => {
    try {
      const body = await readAll(req);
      const write = WRITES.test(String(req.headers['x-amz-target'] ?? ''));
      let answer;
      if (write) {
        proxy.writes += 1;
        const turn = queue.then(() => forward(target, req, body));
        queue = turn.catch(() => undefined);
        answer = await turn;
      } else {
        answer = await forward(target, req, body);
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
