import { Type, type Static } from '@sinclair/typebox';
import { defineEvent, type EventOf } from '../events/catalogue.js';

/** How a client secret is kept: never in clear. */
export const SecretHash = Type.Union([
  // A generated secret has ≥ 256 bits of entropy: a fast hash loses nothing.
  Type.Object(
    { alg: Type.Literal('sha256'), hash: Type.String({ minLength: 43, maxLength: 43 }) },
    { additionalProperties: false },
  ),
  // A secret an operator chose may be guessable: a slow, salted hash.
  Type.Object(
    {
      alg: Type.Literal('scrypt'),
      salt: Type.String({ minLength: 22 }),
      hash: Type.String({ minLength: 43 }),
      N: Type.Integer({ minimum: 1024 }),
      r: Type.Integer({ minimum: 1 }),
      p: Type.Integer({ minimum: 1 }),
    },
    { additionalProperties: false },
  ),
]);
export type SecretHash = Static<typeof SecretHash>;

/** RFC 8628 §3.4: the grant type a device polls the token endpoint with. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 8693 §2.1: the grant type of a token exchange. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const GRANT_TYPES = [
  'client_credentials',
  'authorization_code',
  'refresh_token',
  DEVICE_CODE_GRANT,
  TOKEN_EXCHANGE_GRANT,
] as const;
export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
/**
 * The response modes this server implements; a client uses those it registered (RFC 8414 / OAuth 2.0 Multiple Response
 * Types).
 */
export const RESPONSE_MODES = ['query', 'form_post', 'web_message'] as const;
/** Without `response_modes`, a client gets these: web_message is an opt-in. */
export const DEFAULT_RESPONSE_MODES: readonly (typeof RESPONSE_MODES)[number][] = ['query', 'form_post'];
/**
 * `all`: any token (the default, as in Keycloak and oidc-provider); `own_and_audience`: the client's own, and those
 * whose aud names one of its introspection_audiences.
 */
export const INTROSPECTION_ACCESS = ['all', 'own_and_audience'] as const;
/** Asymmetric JWS algorithms a client may sign request objects with (RFC 9101): never none, never HMAC. */
export const REQUEST_OBJECT_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
/** `fapi2`: the FAPI 2.0 Security Profile is enforced for this client (as PROFILE=fapi2 does for every client). */
export const SECURITY_PROFILES = ['fapi2'] as const;

/**
 * An operator's or a self-registered client's id, or a client ID metadata document's URL (printable ASCII without
 * space, quote, #, <, > or backslash; the fetcher holds it to the draft's stricter rules).
 */
const ClientId = Type.String({
  pattern: '^(?:[A-Za-z0-9._~:-]{1,128}|https?://[\\x21\\x24-\\x3B\\x3D\\x3F-\\x5B\\x5D-\\x7E]{1,1992})$',
});
/** A 256-bit bearer token is kept as its SHA-256 (base64url): never in clear. */
const RegistrationTokenHash = Type.String({ minLength: 43, maxLength: 43 });
const Jwks = Type.Object({
  keys: Type.Array(Type.Object({ kty: Type.String() }, { additionalProperties: true }), { maxItems: 20 }),
});

/** RFC 7591 metadata that changes behaviour, in snake_case as on the wire. */
export const ClientMetadata = Type.Object(
  {
    client_name: Type.Optional(Type.String({ maxLength: 200 })),
    // Shown on the login, consent and sign-out pages: an https logo (the pages' img-src names its origin) and a home
    // page.
    logo_uri: Type.Optional(Type.String({ maxLength: 2000 })),
    client_uri: Type.Optional(Type.String({ maxLength: 2000 })),
    // RFC 7591 §2: the client's privacy policy and terms of service, https like the logo.
    policy_uri: Type.Optional(Type.String({ maxLength: 2000 })),
    tos_uri: Type.Optional(Type.String({ maxLength: 2000 })),
    grant_types: Type.Array(Type.Union(GRANT_TYPES.map((g) => Type.Literal(g))), { minItems: 1, uniqueItems: true }),
    redirect_uris: Type.Array(Type.String({ maxLength: 2000 }), { maxItems: 50, uniqueItems: true }),
    scope: Type.String({ maxLength: 2000 }),
    token_endpoint_auth_method: Type.Union(AUTH_METHODS.map((m) => Type.Literal(m))),
    jwks: Type.Optional(Jwks),
    access_token_format: Type.Union([Type.Literal('jwt'), Type.Literal('opaque')]),
    access_token_signing_alg: Type.Union([Type.Literal('ES256'), Type.Literal('RS256')]),
    access_token_ttl: Type.Integer({ minimum: 1 }),
    // OpenID Connect: optional, so every registration made before them stays valid.
    id_token_signed_response_alg: Type.Optional(Type.Union([Type.Literal('RS256'), Type.Literal('ES256')])),
    post_logout_redirect_uris: Type.Optional(
      Type.Array(Type.String({ maxLength: 2000 }), { maxItems: 50, uniqueItems: true }),
    ),
    backchannel_logout_uri: Type.Optional(Type.String({ maxLength: 2000 })),
    backchannel_logout_session_required: Type.Optional(Type.Boolean()),
    // Optional, so every registration made before them stays valid (and reads as the defaults above).
    response_modes: Type.Optional(
      Type.Array(Type.Union(RESPONSE_MODES.map((m) => Type.Literal(m))), { minItems: 1, uniqueItems: true }),
    ),
    introspection_access: Type.Optional(Type.Union(INTROSPECTION_ACCESS.map((a) => Type.Literal(a)))),
    introspection_audiences: Type.Optional(
      Type.Array(Type.String({ maxLength: 2000 }), { maxItems: 50, uniqueItems: true }),
    ),
    // RFC 9449 §5.2: every access token of this client is DPoP-bound; a token request without a proof is refused.
    dpop_bound_access_tokens: Type.Optional(Type.Boolean()),
    // RFC 9126 §6: the client's authorization requests must come through /par.
    require_pushed_authorization_requests: Type.Optional(Type.Boolean()),
    // RFC 9101 §10.5 / RFC 7591: the only algorithm its request objects may be signed with.
    request_object_signing_alg: Type.Optional(Type.Union(REQUEST_OBJECT_ALGS.map((a) => Type.Literal(a)))),
    security_profile: Type.Optional(Type.Union(SECURITY_PROFILES.map((p) => Type.Literal(p)))),
    // RFC 8693 token exchange policy (src/domain/clients/tokenExchangePolicy.ts): the audiences it may ask for,
    // whether it may impersonate (default: delegation only), how long a chain may grow, the scopes it may keep.
    token_exchange_audiences: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), { maxItems: 50, uniqueItems: true }),
    ),
    token_exchange_impersonation: Type.Optional(Type.Boolean()),
    token_exchange_max_depth: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
    token_exchange_scope: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type ClientMetadata = Static<typeof ClientMetadata>;

/** How a client that registered itself came to be; absent: an operator registered it (CLI or GraphQL). */
export const ClientRegistration = Type.Union([
  // RFC 7591 at /register: open, with an initial access token (its id), or with a software statement (its issuer).
  Type.Object(
    {
      via: Type.Literal('dynamic'),
      access: Type.Union([
        Type.Literal('open'),
        Type.Literal('initial_access_token'),
        Type.Literal('software_statement'),
      ]),
      initialAccessTokenId: Type.Optional(Type.String({ maxLength: 128 })),
      softwareStatementIssuer: Type.Optional(Type.String({ maxLength: 2000 })),
    },
    { additionalProperties: false },
  ),
  // A client ID metadata document: the URL is the client_id; sha256 (base64url) of the document it was built from.
  Type.Object(
    {
      via: Type.Literal('metadata_document'),
      url: Type.String({ maxLength: 2000 }),
      sha256: Type.String({ minLength: 43, maxLength: 43 }),
    },
    { additionalProperties: false },
  ),
]);
export type ClientRegistration = Static<typeof ClientRegistration>;

export const ClientRegistered = defineEvent(
  'ClientRegistered',
  1,
  Type.Object({
    clientId: ClientId,
    metadata: ClientMetadata,
    secret: Type.Union([SecretHash, Type.Null()]),
    // Optional: every registration made before it was an operator's.
    registration: Type.Optional(ClientRegistration),
    // RFC 7592: SHA-256 (base64url) of the registration access token a self-registered client manages itself with.
    registrationTokenHash: Type.Optional(RegistrationTokenHash),
  }),
);
/** The document a metadata-document client's metadata now comes from: its URL and the SHA-256 of its bytes. */
const MetadataDocument = Type.Object(
  { url: Type.String({ maxLength: 2000 }), sha256: Type.String({ minLength: 43, maxLength: 43 }) },
  { additionalProperties: false },
);
const clientUpdatedFields = {
  clientId: ClientId,
  metadata: ClientMetadata,
  // Optional: present when a later fetch of the client's metadata document found it changed.
  document: Type.Optional(MetadataDocument),
};
/** As written before updates recorded what they changed: still read (and validated on import) as it was written. */
const ClientUpdatedV1 = defineEvent('ClientUpdated', 1, Type.Object(clientUpdatedFields));
/** One changed field: absent `before` (or `after`) when the field was not set on that side. */
const FieldChange = Type.Object(
  { before: Type.Optional(Type.Unknown()), after: Type.Optional(Type.Unknown()) },
  { additionalProperties: false },
);
/**
 * v2: `changes` names every metadata field the update changed, with its value before and after (metadata holds no
 * secret, nor its hash). Absent in events upcast from v1: what changed was not recorded then (compare with the
 * stream's previous metadata).
 */
export const ClientUpdated = defineEvent(
  'ClientUpdated',
  2,
  Type.Object({
    ...clientUpdatedFields,
    changes: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 100 }), FieldChange)),
  }),
);
export const ClientSecretRotated = defineEvent(
  'ClientSecretRotated',
  1,
  Type.Object({
    clientId: ClientId,
    secret: SecretHash,
    // Until then (ms since the epoch) the secret it replaces still authenticates; absent: it stopped at once.
    previousSecretExpiresAt: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
);
/** The replaced secret authenticated during its overlap: who still uses it (at most one a client an hour). */
export const ClientPreviousSecretUsed = defineEvent('ClientPreviousSecretUsed', 1, Type.Object({ clientId: ClientId }));
/** RFC 7592 §2.2: an update made with the registration access token replaces the token (the old one stops at once). */
export const ClientRegistrationTokenRotated = defineEvent(
  'ClientRegistrationTokenRotated',
  1,
  Type.Object({ clientId: ClientId, registrationTokenHash: RegistrationTokenHash }),
);
export const ClientDisabled = defineEvent('ClientDisabled', 1, Type.Object({ clientId: ClientId }));
/**
 * The client is gone for good (RFC 7592 §2.3, or pruned when unused): it authenticates no more, its tokens are
 * revoked as for a disabled one, and its id is never given out again (the stream stays, so the ledger keeps its life).
 */
export const ClientDeleted = defineEvent(
  'ClientDeleted',
  1,
  Type.Object({ clientId: ClientId, reason: Type.String({ minLength: 1, maxLength: 500 }) }),
);

export const clientEvents = [
  ClientRegistered,
  ClientUpdatedV1,
  ClientUpdated,
  ClientSecretRotated,
  ClientPreviousSecretUsed,
  ClientRegistrationTokenRotated,
  ClientDisabled,
  ClientDeleted,
];
export type ClientEvent =
  | EventOf<typeof ClientRegistered>
  | EventOf<typeof ClientUpdated>
  | EventOf<typeof ClientSecretRotated>
  | EventOf<typeof ClientPreviousSecretUsed>
  | EventOf<typeof ClientRegistrationTokenRotated>
  | EventOf<typeof ClientDisabled>
  | EventOf<typeof ClientDeleted>;
