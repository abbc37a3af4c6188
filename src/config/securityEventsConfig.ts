import { choice, type Env } from './configParsing.js';

export const ADDRESS_MODES = ['truncate', 'hmac', 'full', 'none'] as const;
export type AddressMode = (typeof ADDRESS_MODES)[number];

/** What the security events (docs/audit-security-events.md) keep of a request. */
export interface SecurityEventsConfig {
  /**
   * SECURITY_EVENTS_ADDRESS: `truncate` (default: IPv4 /24, IPv6 /48), `hmac` (a keyed hash of the full address,
   * the key derived from KEY_ENCRYPTION_SECRET: equal addresses match, nobody without the secret learns one),
   * `full`, or `none`.
   */
  address: AddressMode;
}

export function securityEventsConfig(env: Env): SecurityEventsConfig {
  return { address: choice(env, 'SECURITY_EVENTS_ADDRESS', ADDRESS_MODES, 'truncate') };
}
