/**
 * Text from an API (records, error bodies, URLs) shown by the CLI: control characters and ANSI
 * escape sequences are shown as visible escapes (`\x1b`), so an API cannot move the cursor,
 * recolour, retitle or clear the user's terminal. Newlines and tabs of the CLI's own layout stay.
 */

// C0 controls but tab and newline, DEL, the C1 controls (U+0080–U+009F, where CSI is U+009B), and
// the bidirectional controls (U+061C, U+200E–F, U+202A–E, U+2066–9), which reorder what a terminal
// shows: `U+202E` makes "failed" read as "deliaf", or a forged summary line read as a real one.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_IN_CELL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const visible = (char: string) => {
  const code = char.charCodeAt(0);
  return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
};

/** `text` with every control character but tab and newline made visible. */
export function terminalSafe(text: string): string {
  return text.replace(CONTROL, visible);
}

/** `text` for one table cell, or one line of a summary: tabs and newlines are made visible too, so it cannot start a line of its own. */
export function cellSafe(text: string): string {
  return text.replace(CONTROL_IN_CELL, visible);
}

/** JSON text with the C1 controls and DEL, which JSON.stringify leaves raw, escaped too (still valid JSON). */
export function jsonSafe(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
