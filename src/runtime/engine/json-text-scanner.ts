/**
 * The source text of each record in a JSON response, exactly as the API sent it.
 *
 * Parsing a record and serializing it again changes it: integers beyond 2^53 lose digits (the
 * 64-bit id 1234567890123456789 comes back as 1234567890123456800), `1.50` becomes `1.5` and
 * `\u00e9` becomes `é`. Taking each record's text from the response keeps the data exact, and
 * spares a serialization per record, the poller's largest cost after parsing the page.
 *
 * The scanner runs only over text that `JSON.parse` has already accepted, so it does not validate:
 * it finds boundaries. Whitespace between tokens is removed, so a pretty-printed record still
 * becomes one line.
 */

// The structural characters of JSON, as char codes (shared with json-byte-scanner.ts).
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
export const COMMA = 0x2c;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * The text of each element of the array found by following `names` from the root of `text`, or
 * undefined if there is no array there (the caller then serializes the parsed records). Where
 * an object repeats a name, the last one counts, as in `JSON.parse`. One pass over the text.
 */
export function rawArrayElements(text: string, names: ReadonlyArray<string>): string[] | undefined {
  return find(text, skipWhitespace(text, 0), names, 0).elements;
}

interface Found {
  /** The elements of the array at the path, if the value at `at` leads to one. */
  readonly elements?: string[];
  /** Just past the value that started at `at`. */
  readonly end: number;
}

/** Follows `names[depth..]` through the value at `at`. */
function find(text: string, at: number, names: ReadonlyArray<string>, depth: number): Found {
  const first = text.charCodeAt(at);
  if (depth === names.length) {
    return first === OPEN_BRACKET ? arrayElements(text, at) : { end: valueEnd(text, at) };
  }
  if (first !== OPEN_BRACE) {
    return { end: valueEnd(text, at) };
  }
  let elements: string[] | undefined;
  at = skipWhitespace(text, at + 1);
  while (text.charCodeAt(at) === QUOTE) {
    const keyEnd = stringEnd(text, at);
    const key = text.slice(at + 1, keyEnd - 1);
    const matches = key.includes('\\') ? JSON.parse(text.slice(at, keyEnd)) === names[depth] : key === names[depth];
    at = skipWhitespace(text, skipWhitespace(text, keyEnd) + 1); // past the colon
    if (matches) {
      // A later member of the same name replaces this one, as in JSON.parse.
      const found = find(text, at, names, depth + 1);
      elements = found.elements;
      at = found.end;
    } else {
      at = valueEnd(text, at);
    }
    at = skipWhitespace(text, at);
    if (text.charCodeAt(at) !== COMMA) break;
    at = skipWhitespace(text, at + 1);
  }
  return { elements, end: at + 1 }; // past the closing brace
}

function arrayElements(text: string, at: number): Found {
  const elements: string[] = [];
  at = skipWhitespace(text, at + 1);
  if (text.charCodeAt(at) === CLOSE_BRACKET) return { elements, end: at + 1 };
  for (;;) {
    const end = valueEnd(text, at);
    elements.push(spacedValue ? compact(text, at, end) : text.slice(at, end));
    at = skipWhitespace(text, end);
    if (text.charCodeAt(at) !== COMMA) return { elements, end: at + 1 }; // past the closing bracket
    at = skipWhitespace(text, at + 1);
  }
}

/** One JSON value's text with the whitespace between its tokens removed (strings untouched). */
export function compactJson(text: string): string {
  const start = skipWhitespace(text, 0);
  const end = valueEnd(text, start);
  return spacedValue ? compact(text, start, end) : text.slice(start, end);
}

// Whether the value `valueEnd` last measured has whitespace between its tokens: noted during that
// one pass, so a compact record (the usual case) is not scanned a second time to find out.
let spacedValue = false;

/** The index just past the value that starts at `at` (and sets `spacedValue`). */
function valueEnd(text: string, at: number): number {
  spacedValue = false;
  const first = text.charCodeAt(at);
  if (first === QUOTE) return stringEnd(text, at);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let i = at; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        i = stringEnd(text, i) - 1;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        depth += 1;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth -= 1;
        if (depth === 0) return i + 1;
      } else if (isWhitespace(c)) {
        spacedValue = true;
      }
    }
    return text.length;
  }
  // A number, true, false or null: up to the next delimiter.
  let i = at;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isWhitespace(c)) break;
    i += 1;
  }
  return i;
}

/** The index just past the string whose opening quote is at `at`. */
function stringEnd(text: string, at: number): number {
  let from = at + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return text.length;
    // The quote is escaped if an odd number of backslashes precede it.
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

function skipWhitespace(text: string, at: number): number {
  while (at < text.length && isWhitespace(text.charCodeAt(at))) at += 1;
  return at;
}

/** `text[start, end)` without whitespace outside strings (pretty-printed responses); the text must be JSON. */
function compact(text: string, start: number, end: number): string {
  const parts: string[] = [];
  let runStart = -1;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (isWhitespace(c)) {
      if (runStart >= 0) parts.push(text.slice(runStart, i));
      runStart = -1;
    } else {
      if (runStart < 0) runStart = i;
      if (c === QUOTE) i = stringEnd(text, i) - 1;
    }
  }
  if (runStart >= 0) parts.push(text.slice(runStart, end));
  return parts.join('');
}
