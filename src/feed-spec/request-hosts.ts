/**
 * Where a spec's requests go, read from the spec alone: the URLs its requests start from and the
 * hosts they may reach. The poller builds its origin check from these (runtime/engine/origins.ts);
 * the construct checks that a `SharedRateBudget` is for a host the feed calls.
 */
import type { FeedSpecInput } from './feed-spec';

/** The URLs a spec's requests start from: its request, its parent request, its OAuth token URL or login URL. */
export function specUrls(spec: Pick<FeedSpecInput, 'request' | 'partitions' | 'auth' | 'export'>): string[] {
  const urls = [spec.request.url];
  if (spec.partitions?.type === 'parent') urls.push(spec.partitions.request.url);
  if (spec.auth?.type === 'oauth2ClientCredentials' || spec.auth?.type === 'oauth2RefreshToken') urls.push(spec.auth.tokenUrl);
  if (spec.auth?.type === 'sessionToken') urls.push(spec.auth.login.url);
  if (spec.export) urls.push(spec.export.status.url, ...(spec.export.results.url ? [spec.export.results.url] : []));
  return urls;
}

/** A URL's authority (`host:port`) when it is not templated ({{ partition.region }}.api.example.com is known only at run time). */
export function fixedAuthority(url: string): string | undefined {
  const authority = /^https?:\/\/([^/?#]*)/i.exec(url)?.[1] ?? '';
  return authority !== '' && !authority.includes('{{') ? authority : undefined;
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`, as written in `limits.allowedHosts`. */
export function parseHostEntry(entry: string): { hostname: string; port?: number } {
  const url = new URL(`http://${entry.trim()}`);
  return {
    hostname: url.hostname.toLowerCase().replace(/^\[|\]$/g, ''),
    // `new URL` drops port 80 for http: keep what the entry names.
    port: url.port !== '' ? Number(url.port) : /:(\d+)$/.test(entry.trim()) ? Number(/:(\d+)$/.exec(entry.trim())![1]) : undefined,
  };
}

/**
 * The host names (lowercase) a spec's requests may go to: its fixed URLs' hosts and
 * `limits.allowedHosts`. A URL that is not one yet (a deploy-time value inside it) names none.
 */
export function specHosts(spec: Pick<FeedSpecInput, 'request' | 'partitions' | 'auth' | 'limits' | 'export'>): string[] {
  const hosts: string[] = [];
  for (const url of specUrls(spec)) {
    if (fixedAuthority(url) === undefined) continue;
    try {
      hosts.push(new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, ''));
    } catch {
      // Not a URL yet: a deploy-time value inside it.
    }
  }
  for (const entry of spec.limits?.allowedHosts ?? []) hosts.push(parseHostEntry(entry).hostname);
  return [...new Set(hosts)];
}
