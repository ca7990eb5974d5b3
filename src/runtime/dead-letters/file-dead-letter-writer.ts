/** Dead letters of local runs: one JSON file each, in the same format as the SQS messages. */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DeadLetterMessage, recordsMessage, requestMessage } from './dead-letter';
import { DeadLetterWriter, RecordsDeadLetter, RequestDeadLetter } from '../ports/dead-letters';

export class FileDeadLetterWriter implements DeadLetterWriter {
  public count = 0;

  constructor(private readonly directory: string, private readonly feed: string) {}

  public async sendRecords(letter: RecordsDeadLetter): Promise<void> {
    this.write(recordsMessage(this.feed, letter));
  }

  public async sendRequest(letter: RequestDeadLetter): Promise<void> {
    this.write(requestMessage(this.feed, letter));
  }

  private write(message: DeadLetterMessage): void {
    const dir = path.join(this.directory, `feed=${this.feed}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${message.time.replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}.json`), `${JSON.stringify(message, null, 2)}\n`);
    this.count += 1;
  }
}
