/**
 * Local files under each record's event time (`api-ingest run --time-folders event`, and
 * backfills where the spec has an event time): the lines go to one sink per hour folder, made by
 * the caller's factory with that hour as its clock, so the files sit where a query by day looks
 * for them. What the deployed feed does with `TimePartitioning.eventTime()`.
 *
 * A line whose event time cannot be read is filed under the hour it was written, and counted: the
 * flush logs how many, so a misfiled record is never silent.
 */
import type { EventTimeSource } from '../../feed-spec/event-time';
import { timeFolders } from '../../feed-spec/poller-contract';
import { queryFirst } from '../engine/json-path';
import type { Logger } from '../ports/logger';
import type { RecordSink, SinkLine, SinkReport } from '../ports/record-sink';

export interface EventTimeSinkOptions {
  readonly source: EventTimeSource;
  /** A sink whose files go under `at`'s hour. */
  readonly sinkAt: (at: Date) => RecordSink;
  readonly logger: Logger;
  /** The time a line without an event time is filed under. @default now */
  readonly now?: () => Date;
}

const HOUR_MS = 3_600_000;

export class EventTimeSink implements RecordSink {
  private readonly sinks = new Map<string, RecordSink>();
  private withoutEventTime = 0;

  constructor(private readonly options: EventTimeSinkOptions) {}

  public write(line: SinkLine): Promise<void> | void {
    const at = this.eventTime(line.toString());
    if (at === undefined) this.withoutEventTime += 1;
    const hour = new Date(Math.floor((at ?? (this.options.now ?? (() => new Date()))()).getTime() / HOUR_MS) * HOUR_MS);
    const key = timeFolders(hour);
    let sink = this.sinks.get(key);
    if (!sink) {
      sink = this.options.sinkAt(hour);
      this.sinks.set(key, sink);
    }
    return sink.write(line);
  }

  public async flush(): Promise<SinkReport> {
    const reports = await Promise.all([...this.sinks.values()].map((sink) => sink.flush()));
    if (this.withoutEventTime > 0) {
      this.options.logger.warn('records without an event time were filed under the time they were written', { records: this.withoutEventTime });
      this.withoutEventTime = 0;
    }
    const sum = (pick: (report: SinkReport) => number | undefined) => reports.reduce((total, report) => total + (pick(report) ?? 0), 0);
    return {
      linesDelivered: sum((r) => r.linesDelivered),
      linesDeadLettered: sum((r) => r.linesDeadLettered),
      calls: sum((r) => r.calls),
      failedPuts: sum((r) => r.failedPuts),
      bytesDelivered: sum((r) => r.bytesDelivered),
      bytesBilled: sum((r) => r.bytesBilled),
    };
  }

  /** The line's event time: its row's column, or its envelope's record field. */
  private eventTime(line: string): Date | undefined {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line);
    } catch {
      return undefined;
    }
    const { source } = this.options;
    const value = 'column' in source ? parsed[source.column] : queryFirst(parsed.record, source.cursorPath);
    if (typeof value !== 'string' && typeof value !== 'number') return undefined;
    const ms = typeof value === 'number' ? value : Date.parse(value);
    return Number.isFinite(ms) ? new Date(ms) : undefined;
  }
}
