/**
 * Local runs in Parquet (`api-ingest run --format parquet`): the rows the engine writes (a spec
 * with a schema) become Parquet files in the same key layout as the lake's
 * (`feed=<feed>/year=…/month=…/day=…/hour=…/`), with the schema of the Glue table the construct
 * creates, so DuckDB, pandas or pyarrow read them as Athena reads the table. Like Firehose's
 * record format conversion, it takes JSON rows and converts them; the engine does not know.
 *
 * A flush writes what is buffered as one file: a flush is where the engine commits a cursor, so
 * the rows must be on disk by then.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { parquetSchema, ParquetColumn, rowColumns, writerValue } from './parquet-schema';
import { feedFolder, timeFolders } from '../../feed-spec/poller-contract';
import type { RecordSchemaSpec } from '../../feed-spec/record-schema';
import { parseExact } from '../engine/exact-json';
import type { RecordSink, SinkLine, SinkReport } from '../ports/record-sink';

export interface LocalParquetSinkOptions {
  readonly directory: string;
  readonly feed: string;
  readonly schema: RecordSchemaSpec;
  /** Write a file once this many rows are buffered, flush or not. @default 100,000 */
  readonly maxRowsPerFile?: number;
  /** The clock for the time partition. @default now */
  readonly now?: () => Date;
}

export class LocalParquetSink implements RecordSink {
  private readonly columns: ParquetColumn[];
  private rows: Array<Record<string, unknown>> = [];
  private files = 0;
  private lines = 0;
  private bytes = 0;
  private readonly runId = randomUUID().slice(0, 8);
  public readonly written: string[] = [];

  constructor(private readonly options: LocalParquetSinkOptions) {
    this.columns = rowColumns(options.schema);
  }

  public write(line: SinkLine): void {
    const text = line.toString();
    // Integers beyond 2^53 stay exact (bigint) for INT64 columns.
    this.rows.push(parseExact(text) as Record<string, unknown>);
    this.lines += 1;
    this.bytes += Buffer.byteLength(text);
    if (this.rows.length >= (this.options.maxRowsPerFile ?? 100_000)) this.writeFile();
  }

  public async flush(): Promise<SinkReport> {
    this.writeFile();
    return { linesDelivered: this.lines, linesDeadLettered: 0, calls: this.files, failedPuts: 0, bytesDelivered: this.bytes };
  }

  private writeFile(): void {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    const buffer = parquetWriteBuffer({
      schema: parquetSchema(this.columns),
      columnData: this.columns.map(({ name, spec }) => ({ name, data: rows.map((row) => writerValue(row[name], spec)) })),
    });
    const at = (this.options.now ?? (() => new Date()))();
    const dir = path.join(this.options.directory, `${feedFolder(this.options.feed)}${timeFolders(at)}`);
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${this.options.feed}-${at.toISOString().replace(/[:.]/g, '-')}-${this.runId}-${this.files}.parquet`);
    // Written whole, then renamed: a reader never sees half a file.
    writeFileSync(`${file}.tmp`, new Uint8Array(buffer));
    renameSync(`${file}.tmp`, file);
    this.written.push(file);
    this.files += 1;
  }
}
