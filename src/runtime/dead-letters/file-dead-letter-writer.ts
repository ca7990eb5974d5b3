/** Dead letters of local runs: one JSON file each, in the same format as the SQS messages. */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEAD_LETTER_FORMAT, DeadLetterMessage, DeadLetterWriter, RecordsDeadLetter, RequestDeadLetter } from './dead-letter';

export class FileDeadLetterWriter implements DeadLetterWriter {
  public count = 0;

  constructor(private readonly directory: string, private readonly feed: string) {}

  public async sendRecords(letter: RecordsDeadLetter): Promise<void> {
    this.write({
      format: DEAD_LETTER_FORMAT,
      kind: 'records',
      feed: this.feed,
      time: new Date().toISOString(),
      error: letter.error,
      attempts: letter.attempts,
      lineCount: letter.lineCount,
      payload: letter.lines,
    });
  }

  public async sendRequest(letter: RequestDeadLetter): Promise<void> {
    this.write({
      format: DEAD_LETTER_FORMAT,
      kind: 'request',
      feed: this.feed,
      time: new Date().toISOString(),
      error: letter.error,
      partition: letter.partition,
      request: letter.request,
    });
  }

  private write(message: DeadLetterMessage): void {
    const dir = path.join(this.directory, `feed=${this.feed}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${message.time.replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}.json`), `${JSON.stringify(message, null, 2)}\n`);
    this.count += 1;
  }
}
