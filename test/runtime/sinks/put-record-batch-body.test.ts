import { createHash, createHmac, Hash, Hmac } from 'node:crypto';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { SignatureV4 } from '@smithy/signature-v4';
import { PutRecordBatchBody, putRecordBatchCommand } from '../../../src/runtime/sinks/put-record-batch-body';
import { LoopbackApi, startLoopbackApi } from '../../helpers/loopback-api';

/** The hash the SigV4 signer asks for, from node:crypto (the SDK's Node.js default does the same). */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret ? createHmac('sha256', toBytes(secret)) : createHash('sha256');
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

interface Received { path: string; headers: Record<string, string>; body: Buffer }

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

// Records whose lengths cover every base64 remainder, multi-byte UTF-8, and more than one
// native encoding chunk (48 KiB).
const records = [
  Buffer.from('{"a":1}\n'),
  Buffer.from('{"name":"Zoë ☔ 🚀"}\n{"b":2}\n'),
  Buffer.from('x'),
  Buffer.from('xy'),
  Buffer.from(`${'{"pad":"'}${'é'.repeat(60_000)}"}\n`),
];

describe('PutRecordBatchBody', () => {
  let api: LoopbackApi;
  const received: Received[] = [];

  beforeAll(async () => {
    // A loopback endpoint that keeps each request as it arrived and answers like Firehose.
    api = await startLoopbackApi({
      '/': (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks);
          received.push({ path: req.url ?? '/', headers: req.headers as Record<string, string>, body });
          const count = JSON.parse(body.toString('utf8')).Records.length;
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({
            FailedPutCount: 0, Encrypted: false, RequestResponses: Array.from({ length: count }, (_, i) => ({ RecordId: String(i) })),
          }));
        });
      },
    });
  });
  afterAll(() => api.close());
  beforeEach(() => {
    received.length = 0;
  });

  const client = () => new FirehoseClient({ endpoint: api.url, region: 'eu-west-1', credentials, maxAttempts: 1 });

  function bodyOf(data: Buffer[]): PutRecordBatchBody {
    const body = new PutRecordBatchBody('orders-stream', Buffer.alloc(PutRecordBatchBody.capacityFor('orders-stream', 4 * 1024 * 1024, 500)));
    data.forEach((d, i) => body.append(d, i + 1));
    return body;
  }

  test('sends byte for byte the request the SDK itself would send for the same records', async () => {
    await client().send(new PutRecordBatchCommand({ DeliveryStreamName: 'orders-stream', Records: records.map((Data) => ({ Data })) }));
    await client().send(putRecordBatchCommand(bodyOf(records)));

    const [bySdk, prepared] = received;
    expect(prepared.body.equals(bySdk.body)).toBe(true);
    expect(prepared.headers['content-length']).toBe(String(bySdk.body.length));
    expect(prepared.headers['x-amz-target']).toBe('Firehose_20150804.PutRecordBatch');
    const decoded = JSON.parse(prepared.body.toString('utf8')).Records.map((r: { Data: string }) => Buffer.from(r.Data, 'base64'));
    expect(decoded).toEqual(records);
  });

  test('the signature covers the prepared body, not the empty record list the SDK serialized', async () => {
    await client().send(putRecordBatchCommand(bodyOf(records)));
    const [sent] = received;

    // The signature covers the payload through x-amz-content-sha256, which must be the hash of
    // the bytes that arrived, not of the empty record list the SDK serialized first.
    const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
    expect(sent.headers['x-amz-content-sha256']).toBe(sha256Hex(sent.body));
    expect(sent.headers['x-amz-content-sha256']).not.toBe(sha256Hex('{"DeliveryStreamName":"orders-stream","Records":[]}'));

    // And the signature is over those headers: signing the request as received, at the same
    // instant and with the same key, gives the same Authorization header.
    const signer = new SignatureV4({ credentials, region: 'eu-west-1', service: 'firehose', sha256: Sha256 });
    const url = new URL(api.url);
    const headers = Object.fromEntries(Object.entries(sent.headers).filter(([name]) => !['authorization', 'connection'].includes(name)));
    const amzDate = sent.headers['x-amz-date'];
    const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
    const resigned = await signer.sign({
      method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: sent.path, headers, body: sent.body,
    }, { signingDate });
    expect(sent.headers.authorization).toBe(resigned.headers.authorization);
  });

  test('counts records, bytes and lines; a subset copies the chosen entries as they were encoded', () => {
    const body = bodyOf(records);
    expect(body.count).toBe(5);
    expect(body.dataBytes).toBe(records.reduce((sum, r) => sum + r.length, 0));
    expect(body.lineCount).toBe(1 + 2 + 3 + 4 + 5);

    const retry = body.subset([1, 4], Buffer.alloc(body.buffer.length));
    expect(retry.count).toBe(2);
    expect(retry.lineCount).toBe(2 + 5);
    expect(retry.dataBytes).toBe(records[1].length + records[4].length);
    expect([retry.textAt(0), retry.textAt(1)]).toEqual([records[1].toString(), records[4].toString()]);
    expect(JSON.parse(retry.bytes().toString()).Records.map((r: { Data: string }) => Buffer.from(r.Data, 'base64'))).toEqual([records[1], records[4]]);
    // An empty subset is still a valid request document.
    expect(JSON.parse(body.subset([], Buffer.alloc(100)).bytes().toString())).toEqual({ DeliveryStreamName: 'orders-stream', Records: [] });
  });

  test('refuses a record that does not fit instead of truncating the body', () => {
    const body = new PutRecordBatchBody('s', Buffer.alloc(64));
    expect(() => body.append(Buffer.alloc(100), 1)).toThrow(/64 bytes has no room for a 100-byte record/);
  });

  test('capacityFor holds the worst case: 500 records whose sizes all round up in base64', () => {
    const stream = 'a'.repeat(64);
    const capacity = PutRecordBatchBody.capacityFor(stream, 4 * 1024 * 1024, 500);
    const body = new PutRecordBatchBody(stream, Buffer.alloc(capacity));
    const size = Math.floor((4 * 1024 * 1024) / 500);
    const sized = size % 3 === 1 ? size : size - ((size % 3) + 2) % 3; // a size that leaves one byte over
    for (let i = 0; i < 500; i++) body.append(Buffer.alloc(sized, 120), 1);
    expect(JSON.parse(body.bytes().toString()).Records).toHaveLength(500);
  });
});
