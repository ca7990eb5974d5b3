/**
 * Where the records are in an API response.
 */
export class Records {
  /**
   * The records are at a path in the JSON response body.
   *
   * A plain field path (`data`, `results.items`) or a JSONPath expression (`$.data[*]`). An array
   * at the path yields one record per element; an object yields one record.
   *
   * @param path where the records are, for example `data`
   */
  public static at(path: string): Records {
    return new Records(path);
  }

  /** The whole response body is one record (for APIs that return a single object). */
  public static wholeResponse(): Records {
    return new Records('$');
  }

  private constructor(
    /** The path of the records in the response body. */
    public readonly path: string,
  ) {}
}
