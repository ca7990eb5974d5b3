import type { RecordsSpecInput } from '../feed-spec/feed-spec';

/** Options for any records format. */
export interface RecordsOptions {
  /**
   * Keep only these fields of each record (dotted paths such as `owner.login`; nesting is kept).
   *
   * @default - every field
   */
  readonly fields?: string[];
}

/** Options for JSON records at a path. */
export interface JsonRecordsOptions extends RecordsOptions {
  /**
   * Read a `null` at the path as an empty page (some APIs end their data with `"data": null`). Off
   * by default: a `null` where records belong may also be an error answer, which must not pass as
   * "no more data".
   *
   * @default false
   */
  readonly nullIsEmpty?: boolean;
}

/**
 * Where the records are in an API response, and in what format.
 */
export class Records {
  /**
   * JSON records at a path in the response body.
   *
   * A plain field path (`data`, `results.items`) or a JSONPath expression (`$.data[*]`). An array
   * at the path yields one record per element; an object yields one record.
   *
   * @param path where the records are, for example `data`
   */
  public static at(path: string, options: JsonRecordsOptions = {}): Records {
    return new Records({ path, format: 'json', fields: options.fields, nullIsEmpty: options.nullIsEmpty });
  }

  /** The whole JSON response body is one record (for APIs that return a single object). */
  public static wholeResponse(options: RecordsOptions = {}): Records {
    return new Records({ path: '$', format: 'json', fields: options.fields });
  }

  /** Newline-delimited JSON: one record a line. */
  public static ndjson(options: RecordsOptions = {}): Records {
    return new Records({ path: '$', format: 'ndjson', fields: options.fields });
  }

  /** CSV with a header row: one record a row, the header naming the fields (values are strings). */
  public static csv(options: RecordsOptions = {}): Records {
    return new Records({ path: '$', format: 'csv', fields: options.fields });
  }

  private constructor(private readonly spec: { path: string; format: 'json' | 'ndjson' | 'csv'; fields?: string[]; nullIsEmpty?: boolean }) {}

  /** @internal */
  public _toSpec(): RecordsSpecInput {
    // JSON is the schema's default format: only another one is written.
    return {
      path: this.spec.path,
      ...(this.spec.format !== 'json' ? { format: this.spec.format } : {}),
      ...(this.spec.fields ? { fields: [...this.spec.fields] } : {}),
      ...(this.spec.nullIsEmpty !== undefined ? { nullIsEmpty: this.spec.nullIsEmpty } : {}),
    };
  }
}
