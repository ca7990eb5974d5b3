/**
 * The engine logs through this interface; entry points choose the implementation. Every message
 * and field passes through the redactor before it is written.
 */
import type { Redactor } from './redactor';

export type LogFields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/**
 * Structured JSON lines (what CloudWatch Logs Insights queries), redacted. The message and the
 * fields are redacted before they are serialized, so a secret that is also a number (`2024`)
 * cannot turn a line into invalid JSON.
 */
export function jsonLogger(redactor: Redactor, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Logger {
  const log = (level: string) => (message: string, fields: LogFields = {}) => {
    write(JSON.stringify({ level, message: redactor.redact(message), timestamp: new Date().toISOString(), ...redactor.redactValue(fields) }));
  };
  return { info: log('INFO'), warn: log('WARN'), error: log('ERROR') };
}

/** A logger that keeps what it is told (tests, previews). */
export function memoryLogger(): Logger & { readonly entries: Array<{ level: string; message: string; fields: LogFields }> } {
  const entries: Array<{ level: string; message: string; fields: LogFields }> = [];
  const log = (level: string) => (message: string, fields: LogFields = {}) => entries.push({ level, message, fields });
  return { entries, info: log('INFO'), warn: log('WARN'), error: log('ERROR') };
}
