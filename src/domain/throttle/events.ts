import { Type } from '@sinclair/typebox';
import { defineEvent, IsoDateTime, type EventOf } from '../events/catalogue.js';

/**
 * A brute-force block started (or was extended): from now until `until`, every instance refuses
 * the key without checking the credential. Recorded only when a block starts, never per failure,
 * so a single failed attempt leaves the ledger unchanged; `failures` is the count that caused it,
 * which the next instance to see a failure continues from.
 */
const blockFields = {
  failures: Type.Integer({ minimum: 1 }),
  until: IsoDateTime,
};

/** Client authentication at /token, /introspect, /revoke (src/security/clientAuthThrottle.ts). */
export const ClientAuthenticationThrottled = defineEvent(
  'ClientAuthenticationThrottled',
  1,
  Type.Object({
    tier: Type.Union([Type.Literal('client'), Type.Literal('ip')]),
    /** tier client: the registered client id; tier ip: the address counted (IPv4, or an IPv6 /64). */
    subject: Type.String({ minLength: 1, maxLength: 256 }),
    ...blockFields,
  }),
);

/** The login page (src/security/loginThrottle.ts). */
export const LoginThrottled = defineEvent(
  'LoginThrottled',
  1,
  Type.Object({
    tier: Type.Union([Type.Literal('pair'), Type.Literal('ip'), Type.Literal('account')]),
    /**
     * tier ip: the address counted; tier account: an HMAC of the normalised username under a key
     * derived from the server's secret (never the name: people type passwords into that field);
     * tier pair: that HMAC and the address, separated by a space.
     */
    subject: Type.String({ minLength: 1, maxLength: 256 }),
    ...blockFields,
  }),
);

export const throttleEvents = [ClientAuthenticationThrottled, LoginThrottled];
export type ClientAuthenticationThrottledEvent = EventOf<typeof ClientAuthenticationThrottled>;
export type LoginThrottledEvent = EventOf<typeof LoginThrottled>;
