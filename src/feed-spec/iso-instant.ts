/**
 * The one reading of a point in time that a spec, a backfill or a run on demand gives: ISO 8601
 * only, in the forms that mean one instant everywhere. `Date.parse` reads `01/02/2026` as
 * 2 January in one locale's order and `2026-01-02 10:00` in the machine's time zone; a feed that
 * starts on the wrong day fetches the wrong data and says nothing, so anything else is refused.
 *
 * Accepted: a date (`2026-01-02`, midnight UTC) or a date-time with an offset or `Z`
 * (`2026-01-02T10:00Z`, `2026-01-02T10:00:00.123+09:00`), each checked against the calendar.
 */

export const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
export const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/;

/** The forms accepted, for messages. */
export const ISO_INSTANT_FORMS = 'an ISO 8601 date (2026-01-02) or date-time with an offset or Z (2026-01-02T10:00:00Z, 2026-01-02T10:00:00+09:00)';

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Epoch ms of an unambiguous ISO 8601 date or date-time, or undefined for anything else. */
export function parseIsoInstant(text: string): number | undefined {
  const date = ISO_DATE.exec(text);
  const dateTime = date ? undefined : ISO_DATE_TIME.exec(text);
  const parts = date ?? dateTime;
  if (!parts) return undefined;
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (date) return Date.UTC(year, month - 1, day);
  const [hour, minute, second] = [Number(dateTime![4]), Number(dateTime![5]), Number(dateTime![6] ?? 0)];
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** What is wrong with `text` as an instant, named `what`, or undefined. */
export function isoInstantProblem(text: unknown, what: string): string | undefined {
  if (typeof text === 'string' && parseIsoInstant(text) !== undefined) return undefined;
  return `${what} ${JSON.stringify(text)} is not ${ISO_INSTANT_FORMS}; other forms (01/02/2026, a time without an offset) are read differently by different readers`;
}
