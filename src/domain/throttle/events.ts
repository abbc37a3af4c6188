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
/**
 * v2: `refused`, the attempts the recording instance refused on this key during its previous block (they are not
 * recorded one by one). Absent when none were, and in events upcast from v1.
 */
const refusedField = { refused: Type.Optional(Type.Integer({ minimum: 1 })) };
const ClientTier = Type.Union([Type.Literal('client'), Type.Literal('ip')]);
const LoginTier = Type.Union([Type.Literal('pair'), Type.Literal('ip'), Type.Literal('account')]);
const Subject = Type.String({ minLength: 1, maxLength: 256 });

/** As written before blocks carried their refusals: read as written. */
const ClientAuthenticationThrottledV1 = defineEvent(
  'ClientAuthenticationThrottled',
  1,
  Type.Object({ tier: ClientTier, subject: Subject, ...blockFields }),
);
const LoginThrottledV1 = defineEvent(
  'LoginThrottled',
  1,
  Type.Object({ tier: LoginTier, subject: Subject, ...blockFields }),
);

/** Client authentication at /token, /introspect, /revoke (src/security/clientAuthThrottle.ts). */
export const ClientAuthenticationThrottled = defineEvent(
  'ClientAuthenticationThrottled',
  2,
  Type.Object({
    tier: ClientTier,
    /** tier client: the registered client id; tier ip: the address counted (IPv4, or an IPv6 /64). */
    subject: Subject,
    ...blockFields,
    ...refusedField,
  }),
);

/** The login page (src/security/loginThrottle.ts). */
export const LoginThrottled = defineEvent(
  'LoginThrottled',
  2,
  Type.Object({
    tier: LoginTier,
    /**
     * tier ip: the address counted; tier account: an HMAC of the normalised username under a key
     * derived from the server's secret (never the name: people type passwords into that field);
     * tier pair: that HMAC and the address, separated by a space.
     */
    subject: Subject,
    ...blockFields,
    ...refusedField,
  }),
);

export const throttleEvents = [
  ClientAuthenticationThrottledV1,
  ClientAuthenticationThrottled,
  LoginThrottledV1,
  LoginThrottled,
];
export type ClientAuthenticationThrottledEvent = EventOf<typeof ClientAuthenticationThrottled>;
export type LoginThrottledEvent = EventOf<typeof LoginThrottled>;
