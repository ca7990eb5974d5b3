/**
 * The two baselines the poller is compared with, each run in its own process:
 *   raw:   fetch the same pages sequentially and JSON.parse them; nothing else (the ceiling);
 *   naive: a naive poller: sequential pages, one Firehose PutRecord per record.
 */
import { request } from 'node:http';
import { FirehoseClient, PutRecordCommand } from '@aws-sdk/client-firehose';

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    }).on('error', reject).end();
  });
}

async function main(): Promise<void> {
  const [mode, apiUrl, firehoseUrl, pageSize] = process.argv.slice(2);
  const client = new FirehoseClient({ endpoint: firehoseUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const started = process.cpuUsage();
  const t0 = Date.now();
  let records = 0;
  let bytes = 0;
  for (let page = 1; ; page++) {
    const body = await get(`${apiUrl}/items?size=${pageSize}&page=${page}`);
    bytes += Buffer.byteLength(body);
    const data = JSON.parse(body).data as unknown[];
    if (data.length === 0) break;
    records += data.length;
    if (mode === 'naive') {
      for (const record of data) {
        await client.send(new PutRecordCommand({ DeliveryStreamName: 'bench', Record: { Data: Buffer.from(`${JSON.stringify(record)}\n`) } }));
      }
    }
  }
  const cpu = process.cpuUsage(started);
  const result = { records, bytes, ms: Date.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, maxRssKiB: process.resourceUsage().maxRSS };
  process.stdout.write(JSON.stringify(result));
}

void main();
