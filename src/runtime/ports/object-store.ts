/**
 * Port: a bucket's objects, as a distributed run needs them (its work items and the Map's
 * results). S3 in Lambda; tests use moto's S3 through the same adapter.
 */
export interface ObjectStore {
  put(key: string, body: string, contentType: string): Promise<void>;
  /** The object's text, or undefined if there is none. */
  get(key: string): Promise<string | undefined>;
  /** Keys under a prefix. */
  list(prefix: string): Promise<string[]>;
}
