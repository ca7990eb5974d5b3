/**
 * A fault-injecting HTTP proxy between the AWS SDK and moto. moto accepts every PutRecordBatch;
 * real Firehose does not. The proxy forwards everything verbatim, except PutRecordBatch calls,
 * to which it applies the configured faults:
 *   - partial failures: chosen records fail with ServiceUnavailableException (the rest reach moto);
 *   - throttling: the whole call is refused with ServiceUnavailableException ("Slow down.");
 *   - dropped connections: the socket is destroyed before forwarding, or after moto accepted the
 *     batch (the client cannot know it landed: the source of at-least-once duplicates);
 *   - slow responses: a delay before answering.
 * A seeded random number generator makes every scenario reproducible.
 */
import { createServer, IncomingMessage, request as httpRequest, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Faults {
  partialFailureRate?: number;
  throttleRate?: number;
  dropBeforeRate?: number;
  dropAfterRate?: number;
  delayMs?: number;
}

export interface FaultStats {
  calls: number;
  recordsFailed: number;
  throttled: number;
  droppedBefore: number;
  droppedAfter: number;
  /** Lines in batches that reached moto although the client saw the connection drop. */
  linesLandedUnacknowledged: number;
  /** The most JSON lines seen in one Firehose record (what deaggregation limits). */
  maxLinesPerRecord: number;
}

export interface FaultProxy {
  readonly url: string;
  readonly stats: FaultStats;
  faults: Faults;
  close(): Promise<void>;
}

/** mulberry32: a small, seedable PRNG (bit operations are its algorithm). */
/* eslint-disable no-bitwise */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/* eslint-enable no-bitwise */

/** A request's whole body. */
export function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Sends `req` with `body` on to `target` as it came, and resolves with the whole answer. */
export function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, any>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, 'host': target.host, 'content-length': String(body.length) };
    const out = httpRequest({ hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    out.on('error', reject);
    out.end(body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function slowDown(res: ServerResponse): void {
  const body = JSON.stringify({ __type: 'ServiceUnavailableException', message: 'Slow down.' });
  res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ServiceUnavailableException' }).end(body);
}

export async function startFaultProxy(targetUrl: string, faults: Faults = {}, seed = 42): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const random = seededRandom(seed);
  const stats: FaultStats = {
    calls: 0, recordsFailed: 0, throttled: 0, droppedBefore: 0, droppedAfter: 0, linesLandedUnacknowledged: 0, maxLinesPerRecord: 0,
  };
  const proxy: { faults: Faults } = { faults };

  const server: Server = createServer(async (req, res) => {
    try {
      const body = await readAll(req);
      const isPutRecordBatch = String(req.headers['x-amz-target'] ?? '').endsWith('.PutRecordBatch');
      if (!isPutRecordBatch) {
        const answer = await forward(target, req, body);
        res.writeHead(answer.status, answer.headers).end(answer.body);
        return;
      }
      const f = proxy.faults;
      stats.calls += 1;
      if (f.delayMs) await sleep(f.delayMs);
      if (f.dropBeforeRate && random() < f.dropBeforeRate) {
        stats.droppedBefore += 1;
        req.socket.destroy();
        return;
      }
      if (f.throttleRate && random() < f.throttleRate) {
        stats.throttled += 1;
        slowDown(res);
        return;
      }
      const input = JSON.parse(body.toString('utf8')) as { DeliveryStreamName: string; Records: Array<{ Data: string }> };
      for (const record of input.Records) {
        const lines = Buffer.from(record.Data, 'base64').toString('utf8').split('\n').length - 1;
        stats.maxLinesPerRecord = Math.max(stats.maxLinesPerRecord, lines);
      }
      const fails = input.Records.map(() => (f.partialFailureRate ? random() < f.partialFailureRate : false));
      const passing = input.Records.filter((_, i) => !fails[i]);
      let motoResponses: Array<{ RecordId: string }> = [];
      if (passing.length > 0) {
        const answer = await forward(target, req, Buffer.from(JSON.stringify({ ...input, Records: passing })));
        if (answer.status !== 200) {
          res.writeHead(answer.status, answer.headers).end(answer.body);
          return;
        }
        motoResponses = JSON.parse(answer.body.toString('utf8')).RequestResponses;
      }
      if (f.dropAfterRate && random() < f.dropAfterRate) {
        stats.droppedAfter += 1;
        stats.linesLandedUnacknowledged += passing.reduce((n, r) => n + Buffer.from(r.Data, 'base64').toString('utf8').split('\n').length - 1, 0);
        req.socket.destroy();
        return;
      }
      let j = 0;
      const responses = input.Records.map((_, i) => (fails[i]
        ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' }
        : motoResponses[j++]));
      const failed = fails.filter(Boolean).length;
      stats.recordsFailed += failed;
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
        .end(JSON.stringify({ FailedPutCount: failed, Encrypted: false, RequestResponses: responses }));
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    get faults() { return proxy.faults; },
    set faults(value: Faults) { proxy.faults = value; },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
