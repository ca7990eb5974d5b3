/**
 * The V8 heap sizes the poller runs with, passed in `NODE_OPTIONS`.
 *
 * Without them the Lambda Node.js runtime sizes V8 from the function's memory: a semi-space of a
 * twentieth of it (25 MiB at 512 MB) and an old space of nine tenths. That young generation suits
 * request handlers, not the poller. The poller allocates fast and keeps little: a page or two and
 * the batches in flight. A 25 MiB semi-space then costs memory and buys nothing. In
 * docs/BENCHMARKS.md, a 1-million-record run peaks at 103–104 MiB with the runtime's sizes and
 * 96 MiB with a 4 MiB semi-space, at the same CPU per record within the bench's noise. Only the
 * young generation changes: the old space stays what the runtime would give, so an API with large
 * pages has the same room as before.
 */

/** The poller's V8 semi-space, in MiB (V8's young generation is three of them). */
const POLLER_SEMI_SPACE_MIB = 4;

const SEMI_SPACE = /--max[-_]semi[-_]space[-_]size\b/;
const OLD_SPACE = /--max[-_]old[-_]space[-_]size\b/;

/**
 * V8 options for a poller with `memorySizeMb` of memory: the semi-space above and the runtime's
 * own old space (memory less a tenth), each only where `userOptions` does not set it already.
 * The user's options come last and are kept as they are.
 */
export function pollerNodeOptions(memorySizeMb: number, userOptions: string = ''): string {
  const ours: string[] = [];
  if (!SEMI_SPACE.test(userOptions)) ours.push(`--max-semi-space-size=${POLLER_SEMI_SPACE_MIB}`);
  if (!OLD_SPACE.test(userOptions)) ours.push(`--max-old-space-size=${memorySizeMb - Math.floor(memorySizeMb / 10)}`);
  return [...ours, userOptions.trim()].filter(Boolean).join(' ');
}
