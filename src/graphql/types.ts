// Decorators below read design-time metadata: the polyfill must load before this module's body runs.
import 'reflect-metadata';
import { Field, ID, InputType, Int, ObjectType, registerEnumType, type ClassType } from 'type-graphql';
import { DateTimeScalar, JSONScalar } from './scalars.js';

/**
 * The management schema's types. Every field names its GraphQL type explicitly; resolvers return
 * plain objects of these shapes. No type here has a field for a bearer secret or a secret's hash (an initial access
 * token's id, in registrationTypes.ts, is the SHA-256 of 256 random bits by design: it names the token, as its stream
 * does, and cannot stand in for it).
 */

export enum TokenStatus {
  ACTIVE = 'ACTIVE',
  EXPIRED = 'EXPIRED',
  REVOKED = 'REVOKED',
}
registerEnumType(TokenStatus, { name: 'TokenStatus', description: 'A token as a resource server would see it' });

export enum GrantStatus {
  ACTIVE = 'ACTIVE',
  REVOKED = 'REVOKED',
}
registerEnumType(GrantStatus, { name: 'GrantStatus' });

export enum RequestedVia {
  FRONT_CHANNEL = 'FRONT_CHANNEL',
  PUSHED = 'PUSHED',
  DEVICE = 'DEVICE',
}
registerEnumType(RequestedVia, {
  name: 'RequestedVia',
  description:
    'How a grant was asked for: at /authorize directly, pushed to /par first (RFC 9126), or by a device a person ' +
    'approved at /device (RFC 8628; the subject approved it)',
});

export enum SigningAlg {
  ES256 = 'ES256',
  RS256 = 'RS256',
}
registerEnumType(SigningAlg, { name: 'SigningAlg' });

@ObjectType({ description: 'One fact from the ledger. Hashes of secrets are left out of `data`.' })
export class LedgerEvent {
  @Field(() => ID) id!: string;
  @Field(() => String) type!: string;
  @Field(() => String) stream!: string;
  @Field(() => Int) revision!: number;
  @Field(() => String, { description: 'Global ledger position (a decimal integer)' }) position!: string;
  @Field(() => DateTimeScalar) recordedAt!: Date;
  @Field(() => String, { nullable: true }) actor!: string | null;
  @Field(() => String, { nullable: true, description: 'The reason an operator gave' }) reason!: string | null;
  @Field(() => String, { nullable: true }) correlationId!: string | null;
  @Field(() => JSONScalar) data!: unknown;
}

@ObjectType()
export class PageInfo {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType({ description: 'An access or refresh token: its claims and its fate, never the token or its hash' })
export class Token {
  @Field(() => ID) jti!: string;
  @Field(() => String, { description: 'access_token or refresh_token' }) kind!: string;
  @Field(() => String) clientId!: string;
  @Field(() => String, { nullable: true }) subject!: string | null;
  @Field(() => String, { nullable: true }) scope!: string | null;
  @Field(() => [String], { nullable: true }) audience!: string[] | null;
  @Field(() => DateTimeScalar) issuedAt!: Date;
  @Field(() => DateTimeScalar) expiresAt!: Date;
  @Field(() => TokenStatus) status!: TokenStatus;
  @Field(() => DateTimeScalar, { nullable: true }) revokedAt!: Date | null;
  @Field(() => String, { nullable: true }) revocationReason!: string | null;
  @Field(() => String, { nullable: true }) grantId!: string | null;
  @Field(() => String, {
    nullable: true,
    description:
      'RFC 9449: the SHA-256 JWK thumbprint of the DPoP key the token is bound to (cnf.jkt); null when unbound',
  })
  boundKeyThumbprint!: string | null;
  @Field(() => JSONScalar, {
    nullable: true,
    description: 'RFC 8693 act claim of an exchanged token: the current actor, prior actors nested',
  })
  act!: unknown;
  // resolved: grant, history, derivedFrom, derivatives
}

/**
 * The one Relay shape every list has: `<Name>Edge { cursor node }` and
 * `<Name>Connection { edges pageInfo totalCount }`.
 */
export function relayConnection<T extends object>(
  name: string,
  node: ClassType<T>,
  totalCount: { nullable: boolean; description?: string },
) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field(() => String) cursor!: string;
    @Field(() => node) node!: T;
  }
  @ObjectType(`${name}Connection`)
  class Connection {
    @Field(() => [Edge]) edges!: Edge[];
    @Field(() => PageInfo) pageInfo!: PageInfo;
    @Field(() => Int, totalCount) totalCount!: number | null;
  }
  return Connection;
}

export const TokenConnection = relayConnection('Token', Token, { nullable: false });
export type TokenConnection = InstanceType<typeof TokenConnection>;

@ObjectType({ description: 'An authorization-code grant: consent turned into tokens' })
export class Grant {
  @Field(() => ID) id!: string;
  @Field(() => String) clientId!: string;
  @Field(() => String) subject!: string;
  @Field(() => [String]) scopes!: string[];
  @Field(() => GrantStatus) status!: GrantStatus;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true }) revokedAt!: Date | null;
  @Field(() => String, { nullable: true }) revocationReason!: string | null;
  @Field(() => RequestedVia) requestedVia!: RequestedVia;
  @Field(() => String, {
    nullable: true,
    description: 'The pushed request it came from: the SHA-256 of its request_uri, its stream par-<id> in the ledger',
  })
  pushedRequestId!: string | null;
  @Field(() => Boolean, { description: 'Whether the request came as a signed request object (RFC 9101)' })
  requestObject!: boolean;
  // resolved: client, tokens, history
}

export enum RegisteredBy {
  OPERATOR = 'OPERATOR',
  DYNAMIC = 'DYNAMIC',
  METADATA_DOCUMENT = 'METADATA_DOCUMENT',
}
registerEnumType(RegisteredBy, {
  name: 'RegisteredBy',
  description:
    'Who registered a client: an operator (CLI or GraphQL), the client itself at /register (RFC 7591), or a client ' +
    'ID metadata document it is known by',
});

@ObjectType({ description: 'How a self-registered client came to be' })
export class ClientRegistration {
  @Field(() => RegisteredBy) via!: RegisteredBy;
  @Field(() => String, {
    nullable: true,
    description: 'DYNAMIC: open, initial_access_token or software_statement',
  })
  access!: string | null;
  @Field(() => String, { nullable: true, description: 'The initial access token it registered with (its id)' })
  initialAccessTokenId!: string | null;
  @Field(() => String, { nullable: true, description: 'The issuer of the software statement it registered with' })
  softwareStatementIssuer!: string | null;
  @Field(() => String, { nullable: true, description: 'METADATA_DOCUMENT: the document URL (the client_id)' })
  metadataDocumentUrl!: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'METADATA_DOCUMENT: SHA-256 (base64url) of the document the client was built from',
  })
  metadataDocumentSha256!: string | null;
}

@ObjectType({ description: 'An OAuth client: RFC 7591 metadata and status; never its secret' })
export class Client {
  @Field(() => ID) clientId!: string;
  @Field(() => String, { nullable: true }) name!: string | null;
  @Field(() => [String]) grantTypes!: string[];
  @Field(() => [String]) redirectUris!: string[];
  @Field(() => String) scope!: string;
  @Field(() => String) tokenEndpointAuthMethod!: string;
  @Field(() => String) accessTokenFormat!: string;
  @Field(() => String) accessTokenSigningAlg!: string;
  @Field(() => Int) accessTokenTtl!: number;
  @Field(() => Boolean, {
    description: 'Whether the client authenticates with a secret (the secret itself is never shown)',
  })
  hasSecret!: boolean;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      'Until when the secret the last rotation replaced authenticates (past: it has stopped); null: none was kept',
  })
  previousSecretExpiresAt!: Date | null;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'When the replaced secret was last recorded authenticating (at most one record an hour)',
  })
  previousSecretLastUsedAt!: Date | null;
  @Field(() => Boolean, { description: 'True for a deleted client too' }) disabled!: boolean;
  @Field(() => Boolean, { description: 'Deleted for good (RFC 7592, pruning, deleteClient); its id stays taken' })
  deleted!: boolean;
  @Field(() => RegisteredBy) registeredBy!: RegisteredBy;
  @Field(() => ClientRegistration, { nullable: true, description: 'How it registered itself; null: an operator did' })
  registration!: ClientRegistration | null;
  @Field(() => DateTimeScalar) registeredAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
  @Field(() => JSONScalar, { description: 'All RFC 7591 metadata, as registered' }) metadata!: unknown;
  // resolved: history, lastUsedAt
}

export const ClientConnection = relayConnection('Client', Client, { nullable: false });
export type ClientConnection = InstanceType<typeof ClientConnection>;

@ObjectType({
  description: 'A client just registered or given a new secret: the only place a client secret ever appears',
})
export class RegisteredClient {
  @Field(() => Client) client!: Client;
  @Field(() => String, { nullable: true, description: 'Shown this once; only its hash is kept' }) clientSecret!:
    string | null;
}

@ObjectType({ description: 'A browser session; its id is a bearer secret and is never shown' })
export class Session {
  @Field(() => DateTimeScalar) authenticatedAt!: Date;
  @Field(() => DateTimeScalar) expiresAt!: Date;
  @Field(() => [String]) amr!: string[];
  @Field(() => Boolean) active!: boolean;
  @Field(() => DateTimeScalar, { nullable: true }) endedAt!: Date | null;
  @Field(() => String, { nullable: true }) endReason!: string | null;
}

@ObjectType({ description: 'A user; never the password hash' })
export class User {
  @Field(() => ID) sub!: string;
  @Field(() => String) username!: string;
  @Field(() => String, { nullable: true }) email!: string | null;
  @Field(() => Boolean) emailVerified!: boolean;
  @Field(() => String, { nullable: true }) name!: string | null;
  @Field(() => Boolean) disabled!: boolean;
  @Field(() => Boolean, { description: 'Erased (eraseUser): username, email and name read "erased" for good' })
  erased!: boolean;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
  // resolved: grants, sessions, history
}

@ObjectType({ description: 'A signing key: public half only' })
export class SigningKey {
  @Field(() => ID) kid!: string;
  @Field(() => SigningAlg) alg!: SigningAlg;
  @Field(() => String, { description: 'pending, active, retired or superseded' }) status!: string;
  @Field(() => DateTimeScalar) activatesAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true }) retiredAt!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) publishUntil!: Date | null;
  @Field(() => JSONScalar) publicJwk!: unknown;
}

export const LedgerEventConnection = relayConnection('LedgerEvent', LedgerEvent, {
  nullable: true,
  description: 'Events in the stream; null for a category or the whole ledger (counting would scan it)',
});
export type LedgerEventConnection = InstanceType<typeof LedgerEventConnection>;

@InputType()
export class TokenFilter {
  @Field(() => String, { nullable: true }) clientId?: string;
  @Field(() => String, { nullable: true }) subject?: string;
  @Field(() => String, { nullable: true }) grantId?: string;
  @Field(() => String, {
    nullable: true,
    description: 'Exchanged tokens (RFC 8693) whose current actor (act.sub) is this; with subject: X acting for Y',
  })
  actor?: string;
  @Field(() => TokenStatus, { nullable: true }) status?: TokenStatus;
  @Field(() => String, { nullable: true, description: 'access_token or refresh_token' }) kind?: string;
  @Field(() => DateTimeScalar, { nullable: true }) issuedAfter?: Date;
  @Field(() => DateTimeScalar, { nullable: true }) issuedBefore?: Date;
}

/** The client metadata an operator may set, at registration or in an update (RFC 7591 names, camel-cased). */
@InputType()
abstract class ClientMetadataInput {
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => [String], { nullable: true }) grantTypes?: string[];
  @Field(() => [String], { nullable: true }) redirectUris?: string[];
  @Field(() => String, { nullable: true }) scope?: string;
  @Field(() => String, { nullable: true }) tokenEndpointAuthMethod?: string;
  @Field(() => JSONScalar, { nullable: true }) jwks?: unknown;
  @Field(() => String, { nullable: true }) accessTokenFormat?: string;
  @Field(() => String, { nullable: true }) accessTokenSigningAlg?: string;
  @Field(() => Int, { nullable: true }) accessTokenTtl?: number;
  @Field(() => String, { nullable: true }) idTokenSignedResponseAlg?: string;
  @Field(() => [String], { nullable: true }) postLogoutRedirectUris?: string[];
  @Field(() => String, { nullable: true }) backchannelLogoutUri?: string;
  @Field(() => [String], {
    nullable: true,
    description: 'query, form_post, web_message; default query and form_post (web_message is an opt-in)',
  })
  responseModes?: string[];
  @Field(() => String, {
    nullable: true,
    description: 'Tokens the client may introspect: all (default) or own_and_audience',
  })
  introspectionAccess?: string;
  @Field(() => [String], {
    nullable: true,
    description: 'Resource identifiers (aud values) whose tokens an own_and_audience client may introspect',
  })
  introspectionAudiences?: string[];
  @Field(() => String, {
    nullable: true,
    description: 'https URL of a logo shown on the login, consent and sign-out pages',
  })
  logoUri?: string;
  @Field(() => String, {
    nullable: true,
    description: "http(s) URL of the application's home page, linked from those pages",
  })
  clientUri?: string;
  @Field(() => String, { nullable: true, description: "https URL of the application's privacy policy (RFC 7591)" })
  policyUri?: string;
  @Field(() => String, { nullable: true, description: "https URL of the application's terms of service (RFC 7591)" })
  tosUri?: string;
  @Field(() => Boolean, {
    nullable: true,
    description: 'Every access token is DPoP-bound (RFC 9449); token requests without a DPoP proof are refused',
  })
  dpopBoundAccessTokens?: boolean;
  @Field(() => Boolean, {
    nullable: true,
    description: 'Authorization requests must be pushed to /par first (RFC 9126)',
  })
  requirePushedAuthorizationRequests?: boolean;
  @Field(() => String, {
    nullable: true,
    description: 'The one algorithm its request objects may be signed with (RFC 9101): RS256, PS256, ES256, EdDSA',
  })
  requestObjectSigningAlg?: string;
  @Field(() => String, { nullable: true, description: 'fapi2: enforce the FAPI 2.0 Security Profile for this client' })
  securityProfile?: string;
  @Field(() => [String], {
    nullable: true,
    description: 'Resource URIs or audiences the client may request by token exchange (RFC 8693)',
  })
  tokenExchangeAudiences?: string[];
  @Field(() => Boolean, {
    nullable: true,
    description: 'Token exchange without an actor_token may impersonate the subject (default false: delegation only)',
  })
  tokenExchangeImpersonation?: boolean;
  @Field(() => Int, { nullable: true, description: 'Longest chain of token exchanges, 1 to 10 (default 3)' })
  tokenExchangeMaxDepth?: number;
  @Field(() => String, { nullable: true, description: 'Scopes an exchanged token may keep (default: scope)' })
  tokenExchangeScope?: string;
}

@InputType({
  description:
    'RFC 7591 metadata; omitted fields take the CLI defaults (client_credentials, client_secret_basic, JWT ' +
    'ES256, 3600 s)',
})
export class RegisterClientInput extends ClientMetadataInput {
  @Field(() => String, { nullable: true, description: 'Generated when omitted' }) clientId?: string;
  @Field(() => JSONScalar, { nullable: true, description: 'Public keys for private_key_jwt' })
  override jwks?: unknown = undefined;
}

@InputType({ description: 'Metadata to change; omitted fields keep their values' })
export class UpdateClientInput extends ClientMetadataInput {}

@InputType()
export class CreateUserInput {
  @Field(() => String) username!: string;
  @Field(() => String, { description: 'Stored as a password hash only' }) password!: string;
  @Field(() => String, { nullable: true }) email?: string;
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => Boolean, { nullable: true }) emailVerified?: boolean;
}
