import { Type } from '@sinclair/typebox';
import { defineEvent, type EventOf, type EventsOf } from '../events/catalogue.js';

const Sha256 = Type.String({ minLength: 43, maxLength: 43 });
const EpochSeconds = Type.Integer({ minimum: 0 });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

/** An authorization request as /par validated it: what /authorize later continues with, unchanged. */
const ValidatedRequest = Type.Object(
  {
    clientId: Type.String({ minLength: 1 }),
    redirectUri: Type.String({ minLength: 1 }),
    redirectUriSent: Type.Boolean(),
    responseMode: Type.Union([Type.Literal('query'), Type.Literal('form_post'), Type.Literal('web_message')]),
    state: Nullable(Type.String()),
    scope: Type.String(),
    resource: Type.Array(Type.String()),
    codeChallenge: Type.String({ minLength: 43, maxLength: 43 }),
    nonce: Nullable(Type.String()),
    prompt: Type.Array(Type.String()),
    maxAge: Nullable(Type.Integer({ minimum: 0 })),
    loginHint: Nullable(Type.String()),
    dpopJkt: Nullable(Sha256),
  },
  { additionalProperties: false },
);

/**
 * RFC 9126 §2: a client pushed an authorization request. `requestId` is the SHA-256 of the request_uri handed back
 * (a bearer reference: the URI itself is never recorded); `requestObject` says whether it came in a signed request
 * object (RFC 9101).
 */
export const PushedAuthorizationRequestReceived = defineEvent(
  'PushedAuthorizationRequestReceived',
  1,
  Type.Object({
    requestId: Sha256,
    clientId: Type.String({ minLength: 1 }),
    exp: EpochSeconds,
    requestObject: Type.Boolean(),
    request: ValidatedRequest,
  }),
);

/** RFC 9126 §4: the request_uri was presented at /authorize by its client, in time: it is used up. */
const PushedAuthorizationRequestUsed = defineEvent(
  'PushedAuthorizationRequestUsed',
  1,
  Type.Object({ requestId: Sha256, clientId: Type.String({ minLength: 1 }) }),
);

/** The request_uri was presented after it expired: refused, and recorded so its history ends. */
const PushedAuthorizationRequestExpired = defineEvent(
  'PushedAuthorizationRequestExpired',
  1,
  Type.Object({ requestId: Sha256, clientId: Type.String({ minLength: 1 }), exp: EpochSeconds }),
);

export const pushedRequestEvents = [
  PushedAuthorizationRequestReceived,
  PushedAuthorizationRequestUsed,
  PushedAuthorizationRequestExpired,
];
export type PushedRequestEvent = EventsOf<typeof pushedRequestEvents>;
export type ValidatedAuthorizationRequest = EventOf<typeof PushedAuthorizationRequestReceived>['data']['request'];
