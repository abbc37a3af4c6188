import { GraphQLError } from 'graphql';
import type { ClientState } from '../domain/clients/state.js';
import type { KeyRecord } from '../domain/keyring/state.js';
import type { UserState } from '../domain/users/state.js';
import type { RecordedEvent } from '../eventsourcing/eventStore.js';
import { streamOf, type IndexedGrant, type IndexedSession, type IndexedToken } from '../../projections/historyIndex.js';
import {
  GrantStatus,
  RegisteredBy,
  RequestedVia,
  SigningAlg,
  TokenStatus,
  type Client,
  type ClientRegistration,
  type Grant,
  type LedgerEvent,
  type PageInfo,
  type Session,
  type SigningKey,
  type Token,
  type User,
} from './types.js';

export const MAX_PAGE = 100;
export const DEFAULT_PAGE = 20;

/** `first` capped at 100; a negative one is refused. */
export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE;
  if (!Number.isInteger(first) || first < 0) throw badInput('first must be a non-negative integer');
  return Math.min(first, MAX_PAGE);
}

export const badInput = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
export const notFound = (message: string) => new GraphQLError(message, { extensions: { code: 'NOT_FOUND' } });

export const encodeCursor = (value: string | number) => Buffer.from(String(value)).toString('base64url');
export function decodeCursor(cursor: string | null | undefined): string | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  const value = Buffer.from(cursor, 'base64url').toString();
  if (!value) throw badInput('invalid cursor');
  return value;
}

export function pageInfo(hasNextPage: boolean, endCursor: string | null): PageInfo {
  return { hasNextPage, endCursor };
}

function tokenStatus(t: IndexedToken, nowMs: number): TokenStatus {
  if (t.revokedAt !== undefined) return TokenStatus.REVOKED;
  return t.exp * 1000 <= nowMs ? TokenStatus.EXPIRED : TokenStatus.ACTIVE;
}

/** A token as resolvers pass it on: its stream, and the jti it was exchanged for (RFC 8693) when it was. */
export type TokenNode = Token & { stream: string; derivedFromJti: string | null };

export function toToken(t: IndexedToken, nowMs = Date.now()): TokenNode {
  return {
    jti: t.jti,
    kind: t.kind,
    clientId: t.clientId,
    subject: t.sub,
    scope: t.scope,
    audience: t.aud,
    issuedAt: new Date(t.iat * 1000),
    expiresAt: new Date(t.exp * 1000),
    status: tokenStatus(t, nowMs),
    revokedAt: t.revokedAt === undefined ? null : new Date(t.revokedAt),
    revocationReason: t.revocationReason ?? null,
    grantId: t.grantId,
    boundKeyThumbprint: t.jkt ?? null,
    act: t.act ?? null,
    stream: streamOf(t),
    derivedFromJti: t.derivedFrom ?? null,
  };
}

export function toGrant(g: IndexedGrant): Grant {
  return {
    id: g.grantId,
    clientId: g.clientId,
    subject: g.sub,
    scopes: g.scope.split(' ').filter(Boolean),
    status: g.revokedAt === undefined ? GrantStatus.ACTIVE : GrantStatus.REVOKED,
    createdAt: new Date(g.createdAt),
    revokedAt: g.revokedAt === undefined ? null : new Date(g.revokedAt),
    revocationReason: g.revocationReason ?? null,
    requestedVia: g.device
      ? RequestedVia.DEVICE
      : g.pushedRequestId === undefined
        ? RequestedVia.FRONT_CHANNEL
        : RequestedVia.PUSHED,
    pushedRequestId: g.pushedRequestId ?? null,
    requestObject: g.requestObject === true,
  };
}

/** How a client registered (absent: an operator registered it). */
export function registeredBy(c: Pick<ClientState, 'registration'>): RegisteredBy {
  if (!c.registration) return RegisteredBy.OPERATOR;
  return c.registration.via === 'dynamic' ? RegisteredBy.DYNAMIC : RegisteredBy.METADATA_DOCUMENT;
}

function toRegistration(r: NonNullable<ClientState['registration']>): ClientRegistration {
  const dynamic = r.via === 'dynamic' ? r : undefined;
  const document = r.via === 'metadata_document' ? r : undefined;
  return {
    via: registeredBy({ registration: r }),
    access: dynamic?.access ?? null,
    initialAccessTokenId: dynamic?.initialAccessTokenId ?? null,
    softwareStatementIssuer: dynamic?.softwareStatementIssuer ?? null,
    metadataDocumentUrl: document?.url ?? null,
    metadataDocumentSha256: document?.sha256 ?? null,
  };
}

/** Metadata only: the secret's hash stays in the view. */
export function toClient(c: ClientState): Client {
  const m = c.metadata;
  return {
    clientId: c.clientId,
    name: m.client_name ?? null,
    grantTypes: [...m.grant_types],
    redirectUris: [...m.redirect_uris],
    scope: m.scope,
    tokenEndpointAuthMethod: m.token_endpoint_auth_method,
    accessTokenFormat: m.access_token_format,
    accessTokenSigningAlg: m.access_token_signing_alg,
    accessTokenTtl: m.access_token_ttl,
    hasSecret: c.secret !== null,
    previousSecretExpiresAt: c.previousSecret ? new Date(c.previousSecret.expiresAt) : null,
    previousSecretLastUsedAt:
      c.previousSecret && c.previousSecretLastUsedAt !== undefined ? new Date(c.previousSecretLastUsedAt) : null,
    disabled: c.disabled,
    deleted: c.deleted === true,
    registeredBy: registeredBy(c),
    registration: c.registration ? toRegistration(c.registration) : null,
    registeredAt: new Date(c.registeredAt),
    updatedAt: new Date(c.updatedAt),
    metadata: { ...m },
  };
}

/** Profile only: the password hash stays in the view. */
export function toUser(u: UserState): User {
  return {
    sub: u.sub,
    username: u.username,
    email: u.email ?? null,
    emailVerified: u.emailVerified,
    name: u.name ?? null,
    disabled: u.disabled,
    erased: u.erased,
    createdAt: new Date(u.createdAt),
    updatedAt: new Date(u.updatedAt),
  };
}

export function toSession(s: IndexedSession, nowMs = Date.now()): Session {
  return {
    authenticatedAt: new Date(s.authTime * 1000),
    expiresAt: new Date(s.exp * 1000),
    amr: s.amr,
    active: s.endedAt === undefined && s.exp * 1000 > nowMs,
    endedAt: s.endedAt === undefined ? null : new Date(s.endedAt),
    endReason: s.endReason ?? null,
  };
}

function keyStatus(k: KeyRecord, now: number): string {
  if (k.activatesAt > now) return 'pending';
  if (k.retiredAt === undefined || k.retiredAt > now) return 'active';
  return k.publishUntil !== undefined && k.publishUntil > now ? 'retired' : 'unpublished';
}

/** The public JWK only: the encrypted private key stays in the view. */
export function toSigningKey(k: KeyRecord, now = Date.now()): SigningKey {
  return {
    kid: k.kid,
    alg: k.alg === 'RS256' ? SigningAlg.RS256 : SigningAlg.ES256,
    status: keyStatus(k, now),
    activatesAt: new Date(k.activatesAt),
    retiredAt: k.retiredAt === undefined ? null : new Date(k.retiredAt),
    publishUntil: k.publishUntil === undefined ? null : new Date(k.publishUntil),
    publicJwk: { ...k.publicJwk },
  };
}

/**
 * Event data fields that hold a secret's hash or a private key (token, code, session id and
 * assertion hashes, client secret and password hashes, encrypted keys): never answered.
 */
const REDACTED_FIELDS = new Set([
  'tokenHash',
  'registrationTokenHash',
  'codeHash',
  'secret',
  'passwordHash',
  'encryptedPrivateKey',
  'sidHash',
  'sid',
  'jtiHash',
  'd',
  'p',
  'q',
  'dp',
  'dq',
  'qi',
]);

export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>))
    if (!REDACTED_FIELDS.has(k)) out[k] = redact(v);
  return out;
}

export function toLedgerEvent(e: RecordedEvent): LedgerEvent {
  return {
    id: e.id,
    type: e.type,
    stream: e.stream,
    revision: e.revision,
    position: e.position.toString(),
    recordedAt: e.recordedAt,
    actor: e.metadata?.actor ?? null,
    reason: e.metadata?.reason ?? null,
    correlationId: e.metadata?.correlationId ?? null,
    data: redact(e.data),
  };
}
