/**
 * Where each record lies in a JSON response body, with the whole body checked to be JSON, in one
 * pass over its bytes and without building a value or even the body's text. It serves a feed that
 * reads nothing but its records' texts (no cursor field, no pagination values in the body, no
 * field selection). Parsing the page only to throw the values away was the poller's largest cost,
 * and turning each page into a string was a large part of what remained (docs/BENCHMARKS.md).
 *
 * The check accepts exactly what `JSON.parse` accepts of the body decoded as UTF-8 (RFC 8259: no
 * trailing commas, no leading zeros, no raw control characters in strings, only the four JSON
 * whitespace characters). Property tests hold it to `JSON.parse` itself. A body that is not valid
 * UTF-8 gets no answer: decoding replaces its bad bytes, which the byte ranges would not. Whenever
 * the check says no, the caller parses the page with `JSON.parse`, which then says what is wrong.
 * So an answer it cannot give (a record that is not an object, no array at the path, nesting too
 * deep for the stack) costs time, never records.
 *
 * A multi-byte UTF-8 sequence never contains a byte below 0x80, so every JSON token outside a
 * string is plain ASCII, and a string's bytes can be checked one by one.
 */
import { isUtf8 } from 'node:buffer';
import { MAX_JSON_DEPTH } from './json-depth';
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COMMA, compactJson, OPEN_BRACE, OPEN_BRACKET, QUOTE } from './json-text-scanner';

const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const LOWER_U = 0x75;

/** The records found: byte offsets in the body, and whether any needs its whitespace removed. */
export interface CheckedElements {
  /** Where each record starts and ends: `[start0, end0, start1, end1, …]`. */
  readonly offsets: number[];
  /** Whether a record has whitespace between its tokens (a pretty-printed response). */
  readonly spaced: boolean;
}

/** Thrown inside the scan when the body is not JSON; never leaves this module. */
const NOT_JSON = new Error('not JSON');

// The scan's state, module-wide as the functions below recurse through it: one scan at a time,
// synchronously, so nothing else can see it. Each function reads `bytes` into a local first: V8
// then checks the array once per call instead of at every byte.
const EMPTY = new Uint8Array(0);
let bytes: Uint8Array = EMPTY;
// Whether whitespace was skipped since it was last reset (a record that needs compacting).
let spaced = false;
// Whether the string `string` last checked has an escape in it.
let escaped = false;
// Objects and arrays open around the current byte: past MAX_JSON_DEPTH the check says no, and the
// caller's parse reports the page as too deep.
let nesting = 0;

/**
 * Where each element of the array found by following `names` from the root lies in `body`, once
 * the whole body is known to be JSON. Undefined when the body is not UTF-8 or not JSON, when there
 * is no array at the path (where a name repeats, the last member counts, as in `JSON.parse`), or
 * when an element is not an object: the caller then parses the page and reports the problem.
 */
export function checkedArrayElements(body: Uint8Array, names: ReadonlyArray<string>): CheckedElements | undefined {
  if (!isUtf8(body)) return undefined;
  bytes = body;
  // The records sit inside the path's objects and its array: count those levels too, as the
  // caller's depth check of the whole text does.
  nesting = names.length + 1;
  try {
    const found: Found = { offsets: undefined, spaced: false };
    const end = skipWhitespace(onPath(skipWhitespace(0), names.map((name) => Buffer.from(name)), 0, found));
    return end === body.length && found.offsets ? { offsets: found.offsets, spaced: found.spaced } : undefined;
  } catch (err) {
    // Not JSON, or nested deeper than the stack allows (JSON.parse decides those).
    if (err === NOT_JSON || err instanceof RangeError) return undefined;
    throw err;
  } finally {
    bytes = EMPTY;
  }
}

/** The records' texts, whitespace between tokens removed (as `rawArrayElements` gives them). */
export function elementTexts(body: Buffer, elements: CheckedElements): string[] {
  const texts: string[] = [];
  for (let i = 0; i < elements.offsets.length; i += 2) {
    const text = body.toString('utf8', elements.offsets[i], elements.offsets[i + 1]);
    texts.push(elements.spaced ? compactJson(text) : text);
  }
  return texts;
}

interface Found {
  /** The records, when the array at the path holds only objects. */
  offsets: number[] | undefined;
  spaced: boolean;
}

/** Checks the value at `at`, which lies on the path at `depth`, and records what it finds there. */
function onPath(at: number, names: ReadonlyArray<Buffer>, depth: number, found: Found): number {
  const b = bytes;
  const first = b[at];
  if (depth === names.length) {
    found.offsets = undefined;
    return first === OPEN_BRACKET ? records(at, found) : value(at);
  }
  if (first !== OPEN_BRACE) {
    found.offsets = undefined;
    return value(at);
  }
  // An object whose member `names[depth]` leads on; a later member of that name replaces it.
  at = skipWhitespace(at + 1);
  if (b[at] === CLOSE_BRACE) {
    found.offsets = undefined;
    return at + 1;
  }
  let matched = false;
  for (;;) {
    if (b[at] !== QUOTE) throw NOT_JSON;
    const keyEnd = string(at);
    const matches = escaped ? keyWithEscapes(at, keyEnd) === names[depth].toString() : sameBytes(at + 1, keyEnd - 1, names[depth]);
    at = skipWhitespace(keyEnd);
    if (b[at] !== COLON) throw NOT_JSON;
    at = skipWhitespace(at + 1);
    if (matches) {
      matched = true;
      at = onPath(at, names, depth + 1, found);
    } else {
      at = value(at);
    }
    at = skipWhitespace(at);
    const c = b[at];
    if (c === CLOSE_BRACE) break;
    if (c !== COMMA) throw NOT_JSON;
    at = skipWhitespace(at + 1);
  }
  if (!matched) found.offsets = undefined;
  return at + 1;
}

function sameBytes(start: number, end: number, name: Buffer): boolean {
  const b = bytes;
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) {
    if (b[start + i] !== name[i]) return false;
  }
  return true;
}

/** A key with escapes in it (already checked to be a JSON string), decoded. */
function keyWithEscapes(start: number, end: number): string {
  return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8')) as string;
}

/** Checks the array of records at `at` and keeps where each element lies. */
function records(at: number, found: Found): number {
  const b = bytes;
  const offsets: number[] = [];
  let allObjects = true;
  let anySpaced = false;
  at = skipWhitespace(at + 1);
  if (b[at] !== CLOSE_BRACKET) {
    for (;;) {
      if (b[at] !== OPEN_BRACE) allObjects = false;
      spaced = false;
      const end = value(at);
      if (spaced) anySpaced = true;
      offsets.push(at, end);
      at = skipWhitespace(end);
      const c = b[at];
      if (c === CLOSE_BRACKET) break;
      if (c !== COMMA) throw NOT_JSON;
      at = skipWhitespace(at + 1);
    }
  }
  found.offsets = allObjects ? offsets : undefined;
  found.spaced = anySpaced;
  return at + 1;
}

/** Checks one JSON value starting at `at`; returns the index just past it. */
function value(at: number): number {
  const b = bytes;
  const c = b[at];
  if (c === QUOTE) return string(at);
  if (c === OPEN_BRACE) return object(at);
  if (c === OPEN_BRACKET) return array(at);
  if (c === 0x74 /* t */) return literal(at, TRUE);
  if (c === 0x66 /* f */) return literal(at, FALSE);
  if (c === 0x6e /* n */) return literal(at, NULL);
  return number(at);
}

function object(at: number): number {
  if (++nesting > MAX_JSON_DEPTH) throw NOT_JSON;
  const end = objectMembers(at);
  nesting -= 1;
  return end;
}

function objectMembers(at: number): number {
  const b = bytes;
  at = skipWhitespace(at + 1);
  if (b[at] === CLOSE_BRACE) return at + 1;
  for (;;) {
    if (b[at] !== QUOTE) throw NOT_JSON;
    at = skipWhitespace(string(at));
    if (b[at] !== COLON) throw NOT_JSON;
    at = skipWhitespace(value(skipWhitespace(at + 1)));
    const c = b[at];
    if (c === CLOSE_BRACE) return at + 1;
    if (c !== COMMA) throw NOT_JSON;
    at = skipWhitespace(at + 1);
  }
}

function array(at: number): number {
  if (++nesting > MAX_JSON_DEPTH) throw NOT_JSON;
  const end = arrayElements(at);
  nesting -= 1;
  return end;
}

function arrayElements(at: number): number {
  const b = bytes;
  at = skipWhitespace(at + 1);
  if (b[at] === CLOSE_BRACKET) return at + 1;
  for (;;) {
    at = skipWhitespace(value(at));
    const c = b[at];
    if (c === CLOSE_BRACKET) return at + 1;
    if (c !== COMMA) throw NOT_JSON;
    at = skipWhitespace(at + 1);
  }
}

/**
 * The string whose opening quote is at `at`; returns the index just past its closing quote. Any
 * byte from 0x20 up is the string's own (UTF-8 is already checked); below that is a control
 * character, which JSON does not allow raw, or the end of the body.
 */
function string(at: number): number {
  escaped = false;
  const b = bytes;
  let i = at + 1;
  for (;;) {
    const c = b[i];
    // Most bytes come after the quote: one comparison each.
    if (c > QUOTE) {
      if (c === BACKSLASH) {
        escaped = true;
        i = escape(i);
      } else {
        i += 1;
      }
    } else if (c === QUOTE) {
      return i + 1;
    } else if (c >= 0x20) {
      i += 1;
    } else {
      // A control character, or past the end (undefined).
      throw NOT_JSON;
    }
  }
}

/** The escape whose backslash is at `at`; returns the index just past it. */
function escape(at: number): number {
  const b = bytes;
  const e = b[at + 1];
  if (e === LOWER_U) {
    for (let h = at + 2; h < at + 6; h++) {
      if (!isHexDigit(b[h])) throw NOT_JSON;
    }
    return at + 6;
  }
  if (e === QUOTE || e === BACKSLASH || e === 0x2f /* / */ || e === 0x62 /* b */ || e === 0x66 /* f */
    || e === 0x6e /* n */ || e === 0x72 /* r */ || e === 0x74 /* t */) {
    return at + 2;
  }
  throw NOT_JSON;
}

function isHexDigit(c: number): boolean {
  return (c >= ZERO && c <= NINE) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` */
function number(at: number): number {
  const b = bytes;
  if (b[at] === MINUS) at += 1;
  const first = b[at];
  if (first === ZERO) {
    at += 1;
  } else if (first > ZERO && first <= NINE) {
    at = digits(at);
  } else {
    throw NOT_JSON;
  }
  if (b[at] === DOT) at = digits(at + 1);
  const e = b[at];
  if (e === LOWER_E || e === UPPER_E) {
    at += 1;
    const sign = b[at];
    if (sign === PLUS || sign === MINUS) at += 1;
    at = digits(at);
  }
  return at;
}

/** One or more digits from `at`. */
function digits(at: number): number {
  const b = bytes;
  const start = at;
  for (let c = b[at]; c >= ZERO && c <= NINE; c = b[at]) at += 1;
  if (at === start) throw NOT_JSON;
  return at;
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

function literal(at: number, word: Buffer): number {
  if (!sameBytes(at, at + word.length, word)) throw NOT_JSON;
  return at + word.length;
}

function skipWhitespace(at: number): number {
  const b = bytes;
  let c = b[at];
  if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return at;
  spaced = true;
  do {
    at += 1;
    c = b[at];
  } while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09);
  return at;
}
