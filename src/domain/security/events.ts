import { Type } from '@sinclair/typebox';
import { defineEvent, type EventOf, type EventsOf } from '../events/catalogue.js';

/**
 * Where a request came from, as the operator chose to keep it (SECURITY_EVENTS_ADDRESS): a truncated network
 * (`192.0.2.0/24`, `2001:db8:1::/48`), a keyed hash (`hmac:…`), the full address, or nothing. The user agent is cut
 * to 256 characters. Never a username: people type passwords into that field.
 */
const RequestContext = Type.Object(
  {
    address: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    userAgent: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);

const ClientId = Type.String({ minLength: 1, maxLength: 2000 });
const Sub = Type.String({ minLength: 1, maxLength: 256 });
const Sha256 = Type.String({ minLength: 43, maxLength: 43 });

/** A password check succeeded at the login page; recorded with the session it starts, in the same append. */
export const LoginSucceeded = defineEvent(
  'LoginSucceeded',
  1,
  Type.Object({ sub: Sub, clientId: ClientId, sidHash: Sha256, context: RequestContext }),
);

/**
 * A password check failed. A known user is named by `sub`; an unknown username only by `account`, the keyed HMAC
 * the login throttle counts it under (never the name). Recorded in the throttle stream of the (username, address)
 * key, and only while that key is not blocked: a flood costs a bounded number of these (docs/audit-security-events.md).
 */
export const LoginFailed = defineEvent(
  'LoginFailed',
  1,
  Type.Object({
    reason: Type.Union([Type.Literal('invalid_password'), Type.Literal('unknown_user'), Type.Literal('disabled_user')]),
    sub: Type.Optional(Sub),
    account: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    clientId: ClientId,
    context: RequestContext,
  }),
);

/**
 * A client authentication at /token, /introspect, /revoke, /par … answered invalid_client. `clientId` only when it
 * names a registered client: an unknown id is whatever the caller typed. Recorded in the throttle stream of the
 * client id (a registered client) or of the address, only while that key is not blocked.
 */
export const ClientAuthenticationFailed = defineEvent(
  'ClientAuthenticationFailed',
  1,
  Type.Object({
    reason: Type.Union([Type.Literal('invalid_client'), Type.Literal('unknown_client')]),
    clientId: Type.Optional(ClientId),
    endpoint: Type.String({ minLength: 1, maxLength: 64 }),
    context: RequestContext,
  }),
);

/** The user answered the consent page: given is recorded beside AuthorizationGranted, in the same append. */
export const ConsentGiven = defineEvent(
  'ConsentGiven',
  1,
  Type.Object({ sub: Sub, clientId: ClientId, scope: Type.String({ maxLength: 4000 }), context: RequestContext }),
);

export const ConsentDenied = defineEvent(
  'ConsentDenied',
  1,
  Type.Object({ sub: Sub, clientId: ClientId, scope: Type.String({ maxLength: 4000 }), context: RequestContext }),
);

/** A browser session ended by the user (logout, "not you?"): beside SessionEnded, in the same append. */
export const LoggedOut = defineEvent(
  'LoggedOut',
  1,
  Type.Object({
    sidHash: Sha256,
    sub: Sub,
    reason: Type.String({ minLength: 1, maxLength: 200 }),
    clientId: Type.Optional(ClientId),
    context: RequestContext,
  }),
);

export const securityEvents = [
  LoginSucceeded,
  LoginFailed,
  ClientAuthenticationFailed,
  ConsentGiven,
  ConsentDenied,
  LoggedOut,
] as const;
export type SecurityEvent = EventsOf<typeof securityEvents>;
export type SecurityEventType = SecurityEvent['type'];
export type RequestContextData = EventOf<typeof LoginSucceeded>['data']['context'];
export type LoginFailedEvent = EventOf<typeof LoginFailed>;
export type ClientAuthenticationFailedEvent = EventOf<typeof ClientAuthenticationFailed>;
export type LoginSucceededEvent = EventOf<typeof LoginSucceeded>;
export type LoggedOutEvent = EventOf<typeof LoggedOut>;
export type ConsentGivenEvent = EventOf<typeof ConsentGiven>;
export type ConsentDeniedEvent = EventOf<typeof ConsentDenied>;

/** Which of them are a success, a failure or a refusal: the `outcome` of /metrics and GraphQL. */
export const OUTCOME: Record<SecurityEventType, 'success' | 'failure'> = {
  LoginSucceeded: 'success',
  LoginFailed: 'failure',
  ClientAuthenticationFailed: 'failure',
  ConsentGiven: 'success',
  ConsentDenied: 'failure',
  LoggedOut: 'success',
};
