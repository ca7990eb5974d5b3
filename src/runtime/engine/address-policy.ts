/**
 * Which IP addresses the poller may connect to. Checked on the address actually connected to:
 * on an IP literal in a URL before connecting, and on every address DNS returns for a host name
 * (so a name cannot point the poller at an address a literal could not).
 *
 * - Never: link-local (169.254/16, fe80::/10, which hold the cloud metadata endpoints), other
 *   metadata addresses, multicast and broadcast.
 * - Only with `allowLoopback`: loopback and the unspecified address (127/8, ::1, 0.0.0.0/8, ::).
 *   In Lambda the runtime API listens on loopback; the CLI allows it for local tries.
 * - Only with `allowPrivate`: private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7),
 *   for APIs inside a VPC.
 *
 * IPv6 addresses that carry an IPv4 address (IPv4-mapped `::ffff:a9fe:a9fe`, IPv4-compatible,
 * NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by the IPv4 address they carry.
 */
import { BlockList, isIP } from 'node:net';

export interface AddressPolicy {
  /** Loopback and unspecified addresses. @default false */
  readonly allowLoopback?: boolean;
  /** Private ranges (RFC 1918, carrier-grade NAT, IPv6 unique local). @default false */
  readonly allowPrivate?: boolean;
}

export type AddressClass = 'public' | 'loopback' | 'private' | 'blocked';

function blockList(v4: Array<[string, number]>, v6: Array<[string, number]>): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of v4) list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of v6) list.addSubnet(net, prefix, 'ipv6');
  return list;
}

const BLOCKED = blockList(
  [['169.254.0.0', 16], ['100.100.100.200', 32], ['192.0.0.192', 32], ['224.0.0.0', 4], ['240.0.0.0', 4]],
  [['fe80::', 10], ['fd00:ec2::254', 128], ['ff00::', 8]],
);
const LOOPBACK = blockList([['127.0.0.0', 8], ['0.0.0.0', 8]], [['::1', 128], ['::', 128]]);
const PRIVATE = blockList(
  [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['100.64.0.0', 10]],
  [['fc00::', 7]],
);

/** The IPv4 address an IPv6 address carries, if it is of a form that carries one. */
function embeddedIpv4(address: string): string | undefined {
  const groups = expandIpv6(address);
  if (!groups) return undefined;
  const v4 = (hi: number, lo: number) => `${Math.floor(hi / 256)}.${hi % 256}.${Math.floor(lo / 256)}.${lo % 256}`;
  const zero = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible, deprecated), 64:ff9b::a.b.c.d (NAT64).
  if (zero(0, 5) && (groups[5] === 0xffff || groups[5] === 0) && !(groups[5] === 0 && groups[6] === 0)) return v4(groups[6], groups[7]);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zero(2, 6)) return v4(groups[6], groups[7]);
  // 2002:AABB:CCDD::/48 (6to4).
  if (groups[0] === 0x2002) return v4(groups[1], groups[2]);
  return undefined;
}

/** The eight 16-bit groups of an IPv6 address, or undefined. */
function expandIpv6(address: string): number[] | undefined {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const parts = dotted[1].split('.').map(Number);
    text = `${text.slice(0, -dotted[1].length)}${(parts[0] * 256 + parts[1]).toString(16)}:${(parts[2] * 256 + parts[3]).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const groups = tail === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/** What kind of address this is; anything that is not an IP address is `blocked`. */
export function classifyAddress(address: string): AddressClass {
  const a = address.replace(/^\[|\]$/g, '');
  const family = isIP(a);
  if (family === 0) return 'blocked';
  if (family === 6) {
    const v4 = embeddedIpv4(a);
    if (v4 !== undefined) return classifyAddress(v4);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (BLOCKED.check(a, type)) return 'blocked';
  if (LOOPBACK.check(a, type)) return 'loopback';
  if (PRIVATE.check(a, type)) return 'private';
  return 'public';
}

/**
 * Why the poller may not connect to `address` under `policy` ("a loopback address; …"), or
 * undefined when it may.
 */
export function addressRefusal(address: string, policy: AddressPolicy): string | undefined {
  switch (classifyAddress(address)) {
    case 'public':
      return undefined;
    case 'blocked':
      return 'a link-local, metadata, multicast or reserved address, which the poller never connects to';
    case 'loopback':
      return policy.allowLoopback ? undefined
        : 'a loopback address; the deployed poller never connects to loopback (api-ingest allows it with --allow-loopback, and a spec with limits.allowPrivateAddresses)';
    case 'private':
      return policy.allowPrivate ? undefined
        : 'a private address; set limits.allowPrivateAddresses in the spec for an API inside your network';
  }
}
