/**
 * The origins (scheme, host, port) a feed's requests may go to. Every request, the first page's
 * as well as redirects, next-page and Link URLs and requests resumed from a checkpoint, is
 * checked against them: what the API returns can never move an authenticated request to another
 * host, another port, or from https to http.
 *
 * - Each URL in the spec whose host is not templated gives its own origin exactly.
 * - Each `limits.allowedHosts` entry (`host` or `host:port`) admits that host on the named port,
 *   or the scheme's default port, with the schemes of the spec's own URLs: an https spec admits
 *   https only, so no entry opens a downgrade to http.
 */
import type { FeedSpec } from '../../feed-spec/feed-spec';
import { fixedAuthority, parseHostEntry, specUrls } from '../../feed-spec/request-hosts';

export interface Origin {
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  /** The port as a number (the scheme's default when the URL names none). */
  readonly port: number;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/** A URL's origin, with its host lowercased, IPv6 brackets removed and the default port filled in. */
export function originOf(url: URL): Origin {
  return {
    protocol: url.protocol as Origin['protocol'],
    hostname: url.hostname.toLowerCase().replace(/^\[|\]$/g, ''),
    port: url.port === '' ? DEFAULT_PORTS[url.protocol] : Number(url.port),
  };
}

export function formatOrigin(origin: Origin): string {
  const host = origin.hostname.includes(':') ? `[${origin.hostname}]` : origin.hostname;
  return origin.port === DEFAULT_PORTS[origin.protocol] ? `${origin.protocol}//${host}` : `${origin.protocol}//${host}:${origin.port}`;
}

export function sameOrigin(a: Origin, b: Origin): boolean {
  return a.protocol === b.protocol && a.hostname === b.hostname && a.port === b.port;
}

/** The origins a spec's requests may go to. */
export function allowedOrigins(spec: FeedSpec): Origin[] {
  const origins: Origin[] = [];
  const schemes = new Set<Origin['protocol']>();
  for (const url of specUrls(spec)) {
    const scheme = /^(https?):/i.exec(url)?.[1].toLowerCase();
    if (scheme) schemes.add(`${scheme}:` as Origin['protocol']);
    // A templated host ({{ partition.region }}.api.example.com) is known only at run time: such
    // hosts must be listed in limits.allowedHosts.
    if (fixedAuthority(url) !== undefined) origins.push(originOf(new URL(url)));
  }
  // An http URL in the spec admits http for the listed hosts too; https is always admitted.
  schemes.add('https:');
  for (const entry of spec.limits.allowedHosts ?? []) {
    const { hostname, port } = parseHostEntry(entry);
    for (const protocol of schemes) {
      origins.push({ protocol, hostname, port: port ?? DEFAULT_PORTS[protocol] });
    }
  }
  return origins;
}
