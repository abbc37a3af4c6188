import { Type } from '@sinclair/typebox';
import { defineEvent, type EventOf, type EventsOf } from '../events/catalogue.js';

const Sha256 = Type.String({ minLength: 43, maxLength: 43 });
const EpochSeconds = Type.Integer({ minimum: 0 });
const Id = Type.String({ minLength: 1, maxLength: 64 });
/** Who a token of a grant was issued to, and how it is known without being kept: its id and its hash. */
const GrantToken = {
  grantId: Id,
  jti: Id,
  tokenHash: Sha256,
  clientId: Type.String({ minLength: 1 }),
  sub: Type.String({ minLength: 1 }),
};

/** Consent: this user lets this client have these scopes. Remembered, so the next login asks nothing. */
export const AuthorizationGranted = defineEvent(
  'AuthorizationGranted',
  1,
  Type.Object({
    sub: Type.String({ minLength: 1 }),
    clientId: Type.String({ minLength: 1 }),
    scope: Type.String(),
    /**
     * The resource indicators (RFC 8707) the scopes were allowed at. Absent (as in every event written before it
     * was recorded): no specific resource, which covers only requests that name none.
     */
    resources: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  }),
);

/** The code is known by its hash only; it is bound to the client, redirect URI and PKCE challenge. */
export const AuthorizationCodeIssued = defineEvent(
  'AuthorizationCodeIssued',
  1,
  Type.Object({
    grantId: Id,
    codeHash: Sha256,
    clientId: Type.String({ minLength: 1 }),
    sub: Type.String({ minLength: 1 }),
    redirectUri: Type.String({ minLength: 1 }),
    /**
     * Whether the authorization request named redirect_uri (it may be left out when the client has
     * exactly one): if it did, the token request must repeat it (RFC 6749 §4.1.3). Absent in events
     * written before it was recorded, which are redeemed as before.
     */
    redirectUriSent: Type.Optional(Type.Boolean()),
    scope: Type.String(),
    resource: Type.Array(Type.String()),
    codeChallenge: Type.Union([Type.String({ minLength: 43, maxLength: 128 }), Type.Null()]),
    nonce: Type.Union([Type.String(), Type.Null()]),
    authTime: EpochSeconds,
    sid: Type.Union([Type.String(), Type.Null()]),
    exp: EpochSeconds,
    /** How the user authenticated (OIDC amr), when known. */
    amr: Type.Optional(Type.Array(Type.String())),
    /** RFC 9449 §10: the code may be redeemed only with a DPoP proof of the key with this thumbprint. */
    dpopJkt: Type.Optional(Sha256),
    /** RFC 9126: the SHA-256 of the request_uri of the pushed request (`par-<hash>`) this grant came from. */
    pushedRequestId: Type.Optional(Sha256),
    /** RFC 9101: the request was sent as a signed request object. */
    requestObject: Type.Optional(Type.Boolean()),
  }),
);

/** An OpenID Connect ID token, recorded by hash and claims like every token. */
export const IdTokenIssued = defineEvent(
  'IdTokenIssued',
  1,
  Type.Object({
    ...GrantToken,
    iat: EpochSeconds,
    exp: EpochSeconds,
    authTime: EpochSeconds,
    nonce: Type.Union([Type.String(), Type.Null()]),
    sid: Type.Union([Type.String(), Type.Null()]),
    kid: Type.String({ minLength: 1 }),
  }),
);

const AuthorizationCodeRedeemed = defineEvent(
  'AuthorizationCodeRedeemed',
  1,
  Type.Object({ grantId: Id, codeHash: Sha256 }),
);

export const RefreshTokenIssued = defineEvent(
  'RefreshTokenIssued',
  1,
  Type.Object({
    ...GrantToken,
    scope: Type.String(),
    iat: EpochSeconds,
    /** Idle expiry: this token must be used before it. */
    exp: EpochSeconds,
    /** Absolute expiry of the whole family: rotation never moves it. */
    familyExp: EpochSeconds,
    /**
     * RFC 9449 §5: a public client's refresh token is bound to the DPoP key it was issued with (its thumbprint); it
     * is rotated only with a proof of that key. Absent for an unbound token.
     */
    jkt: Type.Optional(Sha256),
  }),
);

const RefreshTokenRotated = defineEvent(
  'RefreshTokenRotated',
  1,
  Type.Object({ grantId: Id, jti: Id, successorJti: Id }),
);

/** A refresh token that had already been rotated out was presented: it leaked, so the grant dies. */
const RefreshTokenReuseDetected = defineEvent('RefreshTokenReuseDetected', 1, Type.Object({ grantId: Id, jti: Id }));

const AuthorizationCodeReuseDetected = defineEvent(
  'AuthorizationCodeReuseDetected',
  1,
  Type.Object({ grantId: Id, codeHash: Sha256 }),
);

/** Every token of the grant stops working. */
const GrantRevoked = defineEvent(
  'GrantRevoked',
  1,
  Type.Object({ grantId: Id, reason: Type.String({ minLength: 1, maxLength: 200 }) }),
);

/** The events of a `grant-<id>` stream. */
const grantStreamEvents = [
  AuthorizationCodeIssued,
  AuthorizationCodeRedeemed,
  IdTokenIssued,
  RefreshTokenIssued,
  RefreshTokenRotated,
  RefreshTokenReuseDetected,
  AuthorizationCodeReuseDetected,
  GrantRevoked,
];
export const grantEvents = [AuthorizationGranted, ...grantStreamEvents];

export type AuthorizationGrantedEvent = EventOf<typeof AuthorizationGranted>;
export type CodeIssuedEvent = EventOf<typeof AuthorizationCodeIssued>;
export type RefreshIssuedEvent = EventOf<typeof RefreshTokenIssued>;
export type IdTokenIssuedEvent = EventOf<typeof IdTokenIssued>;
export type GrantStreamEvent = EventsOf<typeof grantStreamEvents>;
