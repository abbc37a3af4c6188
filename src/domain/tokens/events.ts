import { Type } from '@sinclair/typebox';
import { ActClaim, DerivedFrom } from '../exchange/events.js';
import { defineEvent, type EventOf } from '../events/catalogue.js';

const Sha256 = Type.String({ minLength: 43, maxLength: 43 });
const EpochSeconds = Type.Integer({ minimum: 0 });
/** The token itself is never recorded: its id and SHA-256 identify it. */
const TokenId = { jti: Type.String({ minLength: 1, maxLength: 64 }), tokenHash: Sha256 };

/** Its claims describe the token. */
export const AccessTokenIssued = defineEvent(
  'AccessTokenIssued',
  1,
  Type.Object({
    ...TokenId,
    format: Type.Union([Type.Literal('jwt'), Type.Literal('opaque')]),
    clientId: Type.String({ minLength: 1 }),
    sub: Type.String({ minLength: 1 }),
    scope: Type.String(),
    aud: Type.Array(Type.String(), { minItems: 1 }),
    iat: EpochSeconds,
    exp: EpochSeconds,
    grantType: Type.String({ minLength: 1 }),
    /** Signing key of a JWT; null for opaque tokens. */
    kid: Type.Union([Type.String(), Type.Null()]),
    grantId: Type.Union([Type.String(), Type.Null()]),
    /** RFC 8693: the token this one was exchanged for, and the actors it carries (optional: exchanged tokens only). */
    derivedFrom: Type.Optional(DerivedFrom),
    act: Type.Optional(ActClaim),
    /**
     * A JWT's slot in a Token Status List (draft-ietf-oauth-status-list): list id and bit index, as
     * its `status` claim names them. Optional: opaque tokens and tokens issued before status lists
     * have none.
     */
    statusList: Type.Optional(
      Type.Object(
        { id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), idx: Type.Integer({ minimum: 0 }) },
        { additionalProperties: false },
      ),
    ),
    /**
     * RFC 9449 §6: the SHA-256 thumbprint of the DPoP key the token is bound to (a JWT's `cnf.jkt`); absent for a
     * bearer token.
     */
    jkt: Type.Optional(Sha256),
  }),
);

export const TokenRevoked = defineEvent(
  'TokenRevoked',
  1,
  Type.Object({
    ...TokenId,
    kind: Type.Union([Type.Literal('access_token'), Type.Literal('refresh_token')]),
    /** Why: the client asked (RFC 7009), an operator, a cascade from a grant or client. */
    reason: Type.String({ minLength: 1, maxLength: 200 }),
  }),
);

/** A private_key_jwt assertion's jti, remembered durably so the same assertion is never accepted twice. */
export const ClientAssertionUsed = defineEvent(
  'ClientAssertionUsed',
  1,
  Type.Object({ clientId: Type.String({ minLength: 1 }), jtiHash: Sha256, exp: EpochSeconds }),
);

/**
 * A DPoP proof's jti (RFC 9449 §11.1), per key (`jkt`), remembered until the proof could no longer be accepted: a
 * proof is used once, across instances and restarts.
 */
export const DPoPProofUsed = defineEvent(
  'DPoPProofUsed',
  1,
  Type.Object({ jkt: Sha256, jtiHash: Sha256, exp: EpochSeconds }),
);

/** A signed request object's jti (RFC 9101 §10.8), per client: the same request object is accepted once. */
export const RequestObjectUsed = defineEvent(
  'RequestObjectUsed',
  1,
  Type.Object({ clientId: Type.String({ minLength: 1 }), jtiHash: Sha256, exp: EpochSeconds }),
);

export const tokenEvents = [AccessTokenIssued, TokenRevoked, ClientAssertionUsed, DPoPProofUsed, RequestObjectUsed];
export type AccessTokenIssuedEvent = EventOf<typeof AccessTokenIssued>;
export type TokenRevokedEvent = EventOf<typeof TokenRevoked>;
export type TokenEvent = AccessTokenIssuedEvent | TokenRevokedEvent;
