/**
 * Keeps secret values out of every text that leaves the poller (logs, errors, dead letters,
 * summaries). Every secret is registered the moment it is read, and every value an authenticator
 * puts on the wire (a whole `Basic …` header, an OAuth2 token) is registered as it is sent.
 *
 * A secret is redacted in each form it takes on the wire or in an echo of it:
 * - as it is, and URL-encoded as `encodeURIComponent` writes it (paths) and as the query encoder
 *   (`URLSearchParams`: space as `+`, `~ ! ' ( )` percent-encoded) writes it;
 * - base64 (standard and URL-safe alphabet), as in a Basic header;
 * - every one of those in any JSON spelling, as an API may echo it in a response body: each
 *   character as itself, as `\uXXXX` (either case), or with its short escape (`\"`, `\\`, `\/`).
 *
 * Values of any length are redacted: a short or numeric secret (`2024`) makes texts harder to
 * read, never leaks, and never breaks structured output, because `redactValue` redacts the
 * strings of a value before it is serialized rather than the serialized text.
 */
import type { Redactor } from '../ports/redactor';

export const REDACTED = '[REDACTED]';

export class SecretRedactor implements Redactor {
  private readonly forms = new Set<string>();
  private pattern: RegExp | undefined;

  /** Registers a secret value (and the forms it takes on the wire). Empty values are ignored. */
  public add(value: string | number | undefined | null): void {
    if (value === undefined || value === null) return;
    const text = String(value);
    if (text.length === 0) return;
    const before = this.forms.size;
    for (const form of wireForms(text)) this.forms.add(form);
    if (this.forms.size !== before) this.pattern = undefined;
  }

  /** Whether any secret is registered. */
  public get active(): boolean {
    return this.forms.size > 0;
  }

  /** `text` with every registered secret, in every form, replaced by `[REDACTED]`. */
  public redact(text: string): string {
    if (this.forms.size === 0 || text.length === 0) return text;
    this.pattern ??= buildPattern(this.forms);
    return text.replace(this.pattern, REDACTED);
  }

  /**
   * A copy of a JSON-like value with every string (keys included) redacted. Use it for anything
   * that is serialized afterwards (log fields, JSON summaries): redacting serialized text could
   * turn `"durationMs":2024` into invalid JSON.
   */
  public redactValue<T>(value: T): T {
    if (this.forms.size === 0) return value;
    return this.redactAny(value, 0) as T;
  }

  /** An error with its message and stack redacted (name and class kept for retry decisions). */
  public redactError<T extends Error>(err: T): T {
    err.message = this.redact(err.message);
    if (err.stack) {
      err.stack = this.redact(err.stack);
    }
    return err;
  }

  private redactAny(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (value === null || typeof value !== 'object' || depth > 64) return value;
    if (value instanceof Error) return this.redact(value.message);
    if (Array.isArray(value)) return value.map((v) => this.redactAny(v, depth + 1));
    if (value instanceof Date) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[this.redact(k)] = this.redactAny(v, depth + 1);
    }
    return out;
  }
}

/** The forms a secret takes on the wire, before JSON spellings. */
function wireForms(value: string): string[] {
  const base64 = Buffer.from(value, 'utf8').toString('base64');
  return [
    value,
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
    base64,
    base64.replace(/=+$/, ''),
    Buffer.from(value, 'utf8').toString('base64url'),
  ];
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\\\"', '\\': '\\\\\\\\', '/': '\\\\/', '\b': '\\\\b', '\f': '\\\\f', '\n': '\\\\n', '\r': '\\\\r', '\t': '\\\\t',
};

function escapeRegExp(char: string): string {
  return char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** A regular expression for one UTF-16 code unit in any JSON spelling. */
function codeUnitPattern(unit: string): string {
  const hex = unit.charCodeAt(0).toString(16).padStart(4, '0');
  const anyCase = [...hex].map((h) => (/[a-f]/.test(h) ? `[${h}${h.toUpperCase()}]` : h)).join('');
  // Escaped spellings first: the first alternative that matches wins, and the literal `\` of a
  // secret's last character must not match only half of an escaped `\\`.
  const spellings = [`\\\\u${anyCase}`, ...(SHORT_ESCAPES[unit] ? [SHORT_ESCAPES[unit]] : []), escapeRegExp(unit)];
  return `(?:${spellings.join('|')})`;
}

function buildPattern(forms: ReadonlySet<string>): RegExp {
  // Longest first: alternation takes the first alternative that matches, so a secret that
  // contains another is replaced whole.
  const sorted = [...forms].sort((a, b) => b.length - a.length);
  // Code units, not code points: a character outside the BMP is escaped as two \u sequences.
  return new RegExp(sorted.map((form) => form.split('').map(codeUnitPattern).join('')).join('|'), 'g');
}
