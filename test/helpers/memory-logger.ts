/** A logger that keeps what it is told, for tests that look at log entries as values. */
import type { LogFields, Logger } from '../../src/runtime/ports/logger';

export function memoryLogger(): Logger & { readonly entries: Array<{ level: string; message: string; fields: LogFields }> } {
  const entries: Array<{ level: string; message: string; fields: LogFields }> = [];
  const log = (level: string) => (message: string, fields: LogFields = {}) => entries.push({ level, message, fields });
  return { entries, info: log('INFO'), warn: log('WARN'), error: log('ERROR') };
}
