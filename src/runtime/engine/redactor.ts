/**
 * Keeps secret values out of logs, errors and dead letters: every string that leaves the engine
 * goes through `redact`, which replaces each known secret value (and its URL-encoded and base64
 * forms, as they appear in URLs and Basic auth headers) with `[REDACTED]`.
 */
export class Redactor {
  private readonly values = new Set<string>();

  /** Registers a secret value; short values (< 4 characters) are not worth the false positives. */
  public add(value: string | undefined): void {
    if (!value || value.length < 4) {
      return;
    }
    this.values.add(value);
    this.values.add(encodeURIComponent(value));
    this.values.add(Buffer.from(value).toString('base64'));
  }

  public redact(text: string): string {
    let out = text;
    // Longest first, so a secret that contains another is replaced whole.
    for (const value of [...this.values].sort((a, b) => b.length - a.length)) {
      out = out.split(value).join('[REDACTED]');
    }
    return out;
  }

  /** An error with its message redacted (name and class kept for retry decisions). */
  public redactError<T extends Error>(err: T): T {
    err.message = this.redact(err.message);
    if (err.stack) {
      err.stack = this.redact(err.stack);
    }
    return err;
  }
}
