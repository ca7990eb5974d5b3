/**
 * The fixed data set the integration tests' API serves, and the record ids each test must find
 * at the destination. The fixture function's code is generated from these constants, so the API
 * and the expectations cannot drift apart.
 */

/** The stations the parent request lists: the feed's partitions. */
export const STATIONS = ['north', 'south', 'east'];
/** Observations per station: not a multiple of the page size, so every station ends on a short page. */
export const OBSERVATIONS_PER_STATION = 23;
/** Records per page. */
export const PAGE_SIZE = 10;
/** The first observation's time; each station has one per hour after it. */
export const FIRST_OBSERVATION = '2026-01-01T00:00:00.000Z';

/** The id of a station's `index`th observation (0-based), e.g. `north-007`. */
export function observationId(station: string, index: number): string {
  return `${station}-${String(index).padStart(3, '0')}`;
}

/** The time of the `index`th observation. */
export function observedAt(index: number): string {
  return new Date(Date.parse(FIRST_OBSERVATION) + index * 3_600_000).toISOString();
}

/**
 * The ids the API offers for these stations, observed in [from, to) when a window is given,
 * sorted as the checker returns them.
 */
export function expectedIds(options: { stations?: string[]; from?: string; to?: string } = {}): string[] {
  const from = options.from ? Date.parse(options.from) : -Infinity;
  const to = options.to ? Date.parse(options.to) : Infinity;
  const ids: string[] = [];
  for (const station of options.stations ?? STATIONS) {
    for (let index = 0; index < OBSERVATIONS_PER_STATION; index++) {
      const at = Date.parse(observedAt(index));
      if (at >= from && at < to) ids.push(observationId(station, index));
    }
  }
  return ids.sort();
}
