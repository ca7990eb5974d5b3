/** Structured JSON logs for the CLI: every message and field passes through the redactor. */
import type { LogFields, Logger } from '../ports/logger';
import type { Redactor } from '../ports/redactor';

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
