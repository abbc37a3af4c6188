import { BlockList, isIP } from 'node:net';

/**
 * Address ranges a client ID metadata document is never fetched from: a URL anyone may name must not reach the
 * server's own host or its private network (SSRF). Each range carries the name a refusal shows.
 */
const IPV4_RANGES: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignment'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const IPV6_RANGES: [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::ffff:0:0:0', 96, 'IPv4-translated'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard'],
  ['2001::', 32, 'Teredo'],
  ['2001:2::', 48, 'benchmarking'],
  ['2001:20::', 28, 'ORCHIDv2'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['5f00::', 16, 'segment routing'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

function blockLists(ranges: [string, number, string][], type: 'ipv4' | 'ipv6') {
  return ranges.map(([net, prefix, name]) => {
    const list = new BlockList();
    list.addSubnet(net, prefix, type);
    return { list, name };
  });
}

const V4 = blockLists(IPV4_RANGES, 'ipv4');
const V6 = blockLists(IPV6_RANGES, 'ipv6');

/** `a00:1` (two hex groups) as 10.0.0.1. */
const hexPairToV4 = (hi: string, lo: string): string => {
  const h = parseInt(hi, 16);
  const l = parseInt(lo, 16);
  return `${h >> 8}.${h & 255}.${l >> 8}.${l & 255}`;
};

/**
 * The IPv4 address an IPv6 one carries and is routed to: IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d,
 * deprecated), NAT64 (64:ff9b::/96) and 6to4 (2002:AABB:CCDD::/48). The WHATWG URL parser writes every IPv6 address
 * in one compressed, lower-case, hex-only form, which the patterns below read.
 */
function embeddedV4(v6: string): string | undefined {
  const canonical = new URL(`http://[${v6}]/`).hostname.slice(1, -1);
  const tail = /^(?:::ffff:|::|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (tail) return hexPairToV4(tail[1], tail[2]);
  const sixToFour = /^2002:([0-9a-f]{1,4}):([0-9a-f]{1,4})(?::|$)/.exec(canonical);
  if (sixToFour) return hexPairToV4(sixToFour[1], sixToFour[2]);
  return undefined;
}

/**
 * Why the server must not connect to `address` (an IP literal, v4 or v6, with or without a zone), or undefined when
 * it is a public unicast address. Anything that is not an IP address at all is refused too.
 */
export function forbiddenAddress(address: string): string | undefined {
  const bare = address.replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return V4.find(({ list }) => list.check(bare, 'ipv4'))?.name;
  if (family !== 6) return 'not an IP address';
  const named = V6.find(({ list }) => list.check(bare, 'ipv6'))?.name;
  if (named) return named;
  const v4 = embeddedV4(bare);
  if (v4 === undefined) return undefined;
  const inner = forbiddenAddress(v4);
  return inner && `${inner} (IPv4 ${v4} inside IPv6)`;
}
