/**
 * A demo weather API on loopback, shipped with the command so a spec can be tried with no
 * account anywhere: `api-ingest demo-api --port 8787`. It lists stations and serves hourly
 * observations per station, paginated, filterable by `updated_since` (inclusive) and `updated_before`
 * (exclusive): a live run's cursor, or a backfill's window.
 */
import { createServer, Server } from 'node:http';

const STATIONS = ['SEL', 'PUS', 'ICN', 'CJU', 'TAE'].map((id, i) => ({ id, name: ['Seoul', 'Busan', 'Incheon', 'Jeju', 'Daegu'][i] }));
const HOURS = 240;
const PAGE_SIZE = 50;

function observation(station: string, hour: number) {
  const at = new Date(Date.UTC(2026, 10, 1) + hour * 3_600_000).toISOString();
  const seed = station.charCodeAt(0) + hour;
  return {
    station,
    observed_at: at,
    updated_at: at,
    temperature_c: Math.round((8 + 6 * Math.sin(hour / 3.8) + (seed % 5)) * 10) / 10,
    humidity_pct: 40 + (seed * 7) % 50,
    wind: { speed_kmh: (seed * 3) % 35, direction: ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'][seed % 8] },
  };
}

export function startDemoApi(port: number, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${host}`);
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/v1/stations') return send(200, { stations: STATIONS });
    const match = /^\/v1\/stations\/([A-Z]+)\/observations$/.exec(url.pathname);
    if (!match || !STATIONS.some((s) => s.id === match[1])) return send(404, { error: 'not found' });
    const since = Date.parse(url.searchParams.get('updated_since') ?? '1970-01-01T00:00:00Z');
    const before = Date.parse(url.searchParams.get('updated_before') ?? '9999-12-31T00:00:00Z');
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const all = Array.from({ length: HOURS }, (_, h) => observation(match[1], h))
      .filter((o) => Date.parse(o.updated_at) >= since && Date.parse(o.updated_at) < before);
    const data = all.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
    return send(200, { data, meta: { page, total: all.length, has_more: page * PAGE_SIZE < all.length } });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
