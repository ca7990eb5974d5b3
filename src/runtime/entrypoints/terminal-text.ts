/**
 * Text from an API (records, error bodies, URLs) shown by the CLI: control characters and ANSI
 * escape sequences are shown as visible escapes (`\x1b`), so an API cannot move the cursor,
 * recolour, retitle or clear the user's terminal. Newlines and tabs of the CLI's own layout stay.
 */

// C0 controls but tab and newline, DEL, and the C1 controls (U+0080–U+009F, where CSI is U+009B).
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const CONTROL_IN_CELL = /[\u0000-\u001f\u007f-\u009f]/g;

const visible = (char: string) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** `text` with every control character but tab and newline made visible. */
export function terminalSafe(text: string): string {
  return text.replace(CONTROL, visible);
}

/** `text` for one table cell: tabs and newlines are made visible too. */
export function cellSafe(text: string): string {
  return text.replace(CONTROL_IN_CELL, visible);
}

/** JSON text with the C1 controls and DEL, which JSON.stringify leaves raw, escaped too (still valid JSON). */
export function jsonSafe(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
