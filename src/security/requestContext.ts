import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import type { AddressMode } from '../config/securityEventsConfig.js';
import type { RequestContextData } from '../domain/security/events.js';

const USER_AGENT_MAX = 256;

/** The eight 16-bit groups of an IPv6 address (embedded IPv4 included), or undefined when it is not one. */
function ipv6Groups(address: string): number[] | undefined {
  let a = address;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) {
    const [b1, b2, b3, b4] = v4.slice(1).map(Number) as [number, number, number, number];
    a = `${a.slice(0, v4.index)}${((b1 << 8) | b2).toString(16)}:${((b3 << 8) | b4).toString(16)}`;
  }
  const halves = a.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length > 1 ? new Array<string>(8 - head.length - tail.length).fill('0') : [];
  return [...head, ...fill, ...tail].map((g) => parseInt(g, 16));
}

/** The network an address is kept as under `truncate`: IPv4 per /24, IPv6 per /48 (a site's usual allocation). */
export function truncateAddress(ip: string): string {
  let a = ip.trim().toLowerCase();
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (mapped) a = mapped[1]!;
  const kind = isIP(a);
  if (kind === 4) return `${a.split('.').slice(0, 3).join('.')}.0/24`;
  const groups = kind === 6 ? ipv6Groups(a) : undefined;
  if (!groups) return 'unknown';
  return `${groups
    .slice(0, 3)
    .map((g) => g.toString(16))
    .join(':')}::/48`;
}

/**
 * How a request's address and user agent are kept in security events. `secret` is the server's key-encryption secret:
 * the address HMAC key is derived from it (as the login throttle derives its username key), so it never leaves the
 * server and two servers with different secrets give unrelated hashes.
 */
export function requestContextOf(mode: AddressMode, secret: string) {
  const key = createHmac('sha256', secret).update('token-ledger security event address').digest();
  const address = (ip: string): string | undefined => {
    switch (mode) {
      case 'none':
        return undefined;
      case 'full':
        return ip.slice(0, 64) || 'unknown';
      case 'hmac':
        return `hmac:${createHmac('sha256', key).update(ip).digest('base64url')}`;
      case 'truncate':
        return truncateAddress(ip);
    }
  };
  return (ip: string, userAgent: string | string[] | undefined): RequestContextData => {
    const addr = address(ip);
    const ua = typeof userAgent === 'string' ? userAgent.replace(/\p{Cc}/gu, '').slice(0, USER_AGENT_MAX) : undefined;
    return { ...(addr !== undefined && { address: addr }), ...(ua !== undefined && ua !== '' && { userAgent: ua }) };
  };
}
