/**
 * The records' texts of a JSON response, with the whole response checked to be JSON, in one pass
 * and without building a value: for a feed that reads nothing but the records' texts (no cursor
 * field, no pagination values in the body, no field selection), parsing the page only to throw
 * the values away was the poller's largest cost (docs/BENCHMARKS.md).
 *
 * The check accepts exactly what `JSON.parse` accepts (RFC 8259: no trailing commas, no leading
 * zeros, no raw control characters in strings, only the four JSON whitespace characters), which
 * property tests hold against `JSON.parse` itself. Whenever it says no, the caller parses the page
 * with `JSON.parse`, which then says what is wrong; so an answer it cannot give (a record that is
 * not an object, no array at the path, nesting too deep for the stack) costs time, never records.
 */
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COMMA, compact, OPEN_BRACE, OPEN_BRACKET, QUOTE } from './raw-json';

const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const LOWER_U = 0x75;

/** Thrown inside the scan when the text is not JSON; never leaves this module. */
const NOT_JSON = new Error('not JSON');

// The scan's state, module-wide as the functions below recurse through it: one scan at a time,
// synchronously, so nothing else can see it.
let text = '';
// Where the next backslash, newline, tab and carriage return are at or after the scan's position
// (Infinity when there is none): a string that reaches none of them before its closing quote is
// valid as it stands, so strings are found with indexOf instead of character by character.
let nextBackslash = Infinity;
let nextNewline = Infinity;
let nextTab = Infinity;
let nextReturn = Infinity;
// Whether whitespace was skipped since it was last reset (a record that needs compacting).
let spaced = false;

// Control characters other than the JSON whitespace ones are invalid anywhere in JSON text.
const NEVER_VALID = Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(code)).filter((c) => !'\t\n\r'.includes(c));

/**
 * The text of each element of the array found by following `names` from the root, once the whole
 * text is known to be JSON, with whitespace between tokens removed (as `rawArrayElements`).
 * Undefined when the text is not JSON, when there is no array at the path (where a name repeats,
 * the last member counts, as in `JSON.parse`), or when an element is not an object: the caller
 * then parses the page and reports the problem.
 */
export function checkedArrayElements(source: string, names: ReadonlyArray<string>): string[] | undefined {
  // One indexOf a character is far cheaper than any scan in JavaScript (or a regular expression).
  if (NEVER_VALID.some((c) => source.includes(c))) return undefined;
  text = source;
  nextBackslash = indexAtOrAfter('\\', 0);
  nextNewline = indexAtOrAfter('\n', 0);
  nextTab = indexAtOrAfter('\t', 0);
  nextReturn = indexAtOrAfter('\r', 0);
  try {
    const found: Found = { elements: undefined };
    const end = skipWhitespace(onPath(skipWhitespace(0), names, 0, found));
    return end === source.length ? found.elements : undefined;
  } catch (err) {
    // Not JSON, or nested deeper than the stack allows (JSON.parse decides those).
    if (err === NOT_JSON || err instanceof RangeError) return undefined;
    throw err;
  } finally {
    text = '';
  }
}

interface Found {
  /** The records, when the array at the path holds only objects. */
  elements: string[] | undefined;
}

/** Checks the value at `at`, which lies on the path at `depth`, and records what it finds there. */
function onPath(at: number, names: ReadonlyArray<string>, depth: number, found: Found): number {
  const first = text.charCodeAt(at);
  if (depth === names.length) {
    found.elements = undefined;
    return first === OPEN_BRACKET ? records(at, found) : value(at);
  }
  if (first !== OPEN_BRACE) {
    found.elements = undefined;
    return value(at);
  }
  // An object whose member `names[depth]` leads on; a later member of that name replaces it.
  at = skipWhitespace(at + 1);
  if (text.charCodeAt(at) === CLOSE_BRACE) {
    found.elements = undefined;
    return at + 1;
  }
  let matched = false;
  for (;;) {
    if (text.charCodeAt(at) !== QUOTE) throw NOT_JSON;
    const keyEnd = string(at);
    const key = text.slice(at + 1, keyEnd - 1);
    const matches = key.includes('\\') ? JSON.parse(text.slice(at, keyEnd)) === names[depth] : key === names[depth];
    at = skipWhitespace(keyEnd);
    if (text.charCodeAt(at) !== COLON) throw NOT_JSON;
    at = skipWhitespace(at + 1);
    if (matches) {
      matched = true;
      at = onPath(at, names, depth + 1, found);
    } else {
      at = value(at);
    }
    at = skipWhitespace(at);
    const c = text.charCodeAt(at);
    if (c === CLOSE_BRACE) break;
    if (c !== COMMA) throw NOT_JSON;
    at = skipWhitespace(at + 1);
  }
  if (!matched) found.elements = undefined;
  return at + 1;
}

/** Checks the array of records at `at` and keeps each element's text. */
function records(at: number, found: Found): number {
  const elements: string[] = [];
  let allObjects = true;
  at = skipWhitespace(at + 1);
  if (text.charCodeAt(at) !== CLOSE_BRACKET) {
    for (;;) {
      if (text.charCodeAt(at) !== OPEN_BRACE) allObjects = false;
      spaced = false;
      const end = value(at);
      elements.push(spaced ? compact(text, at, end) : text.slice(at, end));
      at = skipWhitespace(end);
      const c = text.charCodeAt(at);
      if (c === CLOSE_BRACKET) break;
      if (c !== COMMA) throw NOT_JSON;
      at = skipWhitespace(at + 1);
    }
  }
  found.elements = allObjects ? elements : undefined;
  return at + 1;
}

/** Checks one JSON value starting at `at`; returns the index just past it. */
function value(at: number): number {
  const c = text.charCodeAt(at);
  if (c === QUOTE) return string(at);
  if (c === OPEN_BRACE) return object(at);
  if (c === OPEN_BRACKET) return array(at);
  if (c === 0x74 /* t */) return literal(at, 'true');
  if (c === 0x66 /* f */) return literal(at, 'false');
  if (c === 0x6e /* n */) return literal(at, 'null');
  return number(at);
}

function object(at: number): number {
  at = skipWhitespace(at + 1);
  if (text.charCodeAt(at) === CLOSE_BRACE) return at + 1;
  for (;;) {
    if (text.charCodeAt(at) !== QUOTE) throw NOT_JSON;
    at = skipWhitespace(string(at));
    if (text.charCodeAt(at) !== COLON) throw NOT_JSON;
    at = skipWhitespace(value(skipWhitespace(at + 1)));
    const c = text.charCodeAt(at);
    if (c === CLOSE_BRACE) return at + 1;
    if (c !== COMMA) throw NOT_JSON;
    at = skipWhitespace(at + 1);
  }
}

function array(at: number): number {
  at = skipWhitespace(at + 1);
  if (text.charCodeAt(at) === CLOSE_BRACKET) return at + 1;
  for (;;) {
    at = skipWhitespace(value(at));
    const c = text.charCodeAt(at);
    if (c === CLOSE_BRACKET) return at + 1;
    if (c !== COMMA) throw NOT_JSON;
    at = skipWhitespace(at + 1);
  }
}

/** The string whose opening quote is at `at`; returns the index just past its closing quote. */
function string(at: number): number {
  const quote = text.indexOf('"', at + 1);
  if (quote < 0) throw NOT_JSON;
  if (nextBackslash < at) nextBackslash = indexAtOrAfter('\\', at);
  if (nextBackslash < quote) return escapedString(at);
  if (nextNewline < at) nextNewline = indexAtOrAfter('\n', at);
  if (nextTab < at) nextTab = indexAtOrAfter('\t', at);
  if (nextReturn < at) nextReturn = indexAtOrAfter('\r', at);
  // A raw newline, tab or carriage return inside a string is not JSON.
  if (nextNewline < quote || nextTab < quote || nextReturn < quote) throw NOT_JSON;
  return quote + 1;
}

/** A string with a backslash in it, checked character by character (its quote may be escaped). */
function escapedString(at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c < 0x20) throw NOT_JSON;
    if (c === BACKSLASH) {
      const e = text.charCodeAt(i + 1);
      if (e === LOWER_U) {
        for (let h = i + 2; h < i + 6; h++) {
          if (!isHexDigit(text.charCodeAt(h))) throw NOT_JSON;
        }
        i += 5;
      } else if (e === QUOTE || e === BACKSLASH || e === 0x2f /* / */ || e === 0x62 /* b */ || e === 0x66 /* f */
        || e === 0x6e /* n */ || e === 0x72 /* r */ || e === 0x74 /* t */) {
        i += 1;
      } else {
        throw NOT_JSON;
      }
    }
  }
  throw NOT_JSON;
}

function indexAtOrAfter(character: string, at: number): number {
  const index = text.indexOf(character, at);
  return index < 0 ? Infinity : index;
}

function isHexDigit(c: number): boolean {
  return (c >= ZERO && c <= NINE) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` */
function number(at: number): number {
  if (text.charCodeAt(at) === MINUS) at += 1;
  const first = text.charCodeAt(at);
  if (first === ZERO) {
    at += 1;
  } else if (first > ZERO && first <= NINE) {
    at = digits(at);
  } else {
    throw NOT_JSON;
  }
  if (text.charCodeAt(at) === DOT) at = digits(at + 1);
  const e = text.charCodeAt(at);
  if (e === LOWER_E || e === UPPER_E) {
    at += 1;
    const sign = text.charCodeAt(at);
    if (sign === PLUS || sign === MINUS) at += 1;
    at = digits(at);
  }
  return at;
}

/** One or more digits from `at`. */
function digits(at: number): number {
  const start = at;
  for (let c = text.charCodeAt(at); c >= ZERO && c <= NINE; c = text.charCodeAt(at)) at += 1;
  if (at === start) throw NOT_JSON;
  return at;
}

function literal(at: number, word: string): number {
  if (!text.startsWith(word, at)) throw NOT_JSON;
  return at + word.length;
}

function skipWhitespace(at: number): number {
  let c = text.charCodeAt(at);
  if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return at;
  spaced = true;
  do {
    at += 1;
    c = text.charCodeAt(at);
  } while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09);
  return at;
}
