/**
 * Port: keeps secret values out of every text that leaves the poller. The engine registers each
 * value it puts on the wire; entry points and adapters redact what they write.
 */
export interface Redactor {
  /** Registers a secret value (and the forms it takes on the wire). */
  add(value: string | number | undefined | null): void;
  /** `text` with every registered secret, in every form, replaced. */
  redact(text: string): string;
  /** A copy of a JSON-like value with every string (keys included) redacted. */
  redactValue<T>(value: T): T;
  /** An error with its message and stack redacted (name and class kept). */
  redactError<T extends Error>(err: T): T;
}
