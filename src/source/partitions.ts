import type { Pagination } from './pagination';
import type { Records } from './records';
import type { PartitionsSpecInput } from '../feed-spec/feed-spec';
import { definedOnly } from '../private/defined-only';
import { usageError } from '../private/usage-error';

/** Options for a static list of partitions. */
export interface PartitionListOptions {
  /**
   * Partitions fetched at once.
   * Raise it for many partitions under a generous rate limit; lower it for strict ones.
   *
   * @default 4
   */
  readonly concurrency?: number;
}

/** Partitions taken from the records of a parent request (list the stations, then fetch each). */
export interface ParentPartitionsProps {
  /** The URL that lists the partitions. */
  readonly url: string;
  /** Where the parent records are. */
  readonly records: Records;
  /** Partition parameter name → field path in each parent record, e.g. `{ station: 'id' }`. */
  readonly fields: { [param: string]: string };
  /**
   * Query parameters of the parent request.
   * Set it when the parent endpoint needs them.
   *
   * @default - none
   */
  readonly query?: { [name: string]: string };
  /**
   * Headers of the parent request.
   * Set it when the parent endpoint needs them.
   *
   * @default - none
   */
  readonly headers?: { [name: string]: string };
  /**
   * Pagination of the parent request.
   * Set it when the parent endpoint returns more than one page.
   *
   * @default Pagination.none()
   */
  readonly pagination?: Pagination;
  /**
   * Partitions fetched at once.
   * Raise it for many partitions under a generous rate limit; lower it for strict ones.
   *
   * @default 4
   */
  readonly concurrency?: number;
}

/**
 * Several parameter sets for the same request (cities, stations, accounts). Each partition is
 * fetched separately, with bounded concurrency, and keeps its own incremental cursor; one
 * failing partition does not stop the others. Use `{{ partition.<name> }}` in the URL, query,
 * headers or body.
 */
export abstract class Partitions {
  /**
   * A static list of parameter sets, e.g. `[{ city: 'Seoul' }, { city: 'Busan' }]`.
   *
   * @param values parameter sets of text values; a number or a boolean (`[{"id": 123}]` in Python)
   *   becomes its text, as a template writes it
   */
  public static list(values: Array<{ [name: string]: any }>, options: PartitionListOptions = {}): Partitions {
    const sets = values.map((set, index) => Object.fromEntries(Object.entries(set).map(([name, value]) => {
      if (typeof value === 'string') return [name, value];
      if (typeof value === 'number' || typeof value === 'boolean') return [name, String(value)];
      throw usageError(`Partitions.list: partition ${index}'s "${name}" must be text, a number or a boolean (a partition value is sent as text); `
        + `got ${JSON.stringify(value) ?? String(value)}: write [{"${name}": "..."}]`);
    })));
    return new SpecPartitions({ type: 'list', values: sets, concurrency: options.concurrency });
  }

  /** The records of a parent request. */
  public static fromParent(props: ParentPartitionsProps): Partitions {
    return new SpecPartitions({
      type: 'parent',
      request: {
        url: props.url,
        ...(props.query ? { query: { ...props.query } } : {}),
        ...(props.headers ? { headers: { ...props.headers } } : {}),
      },
      records: props.records._toSpec(),
      pagination: props.pagination?._toSpec(),
      fields: { ...props.fields },
      concurrency: props.concurrency,
    });
  }

  /** Built through the static factories only. */
  protected constructor() {}

  /** @internal */
  public abstract _toSpec(): PartitionsSpecInput;
}

class SpecPartitions extends Partitions {
  private readonly spec: PartitionsSpecInput;

  constructor(spec: PartitionsSpecInput) {
    super();
    this.spec = definedOnly(spec);
  }

  public _toSpec(): PartitionsSpecInput {
    return this.spec;
  }
}
