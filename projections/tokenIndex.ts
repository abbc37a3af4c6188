import type { AccessTokenIssuedEvent, TokenRevokedEvent } from '../src/domain/tokens/events.js';
import type { CodeIssuedEvent, RefreshIssuedEvent } from '../src/domain/grants/events.js';
import type { SessionStartedEvent, SessionEndedEvent } from '../src/domain/sessions/events.js';
import type { RecordedEvent } from '../src/ledger/eventStore.js';
import { defineProjection } from './projection.js';

/** One access or refresh token ever issued: claims only (never its hash), and how it ended. */
export interface IndexedToken {
  jti: string;
  kind: 'access_token' | 'refresh_token';
  /** Issue order across the whole index: the pagination cursor. */
  seq: number;
  clientId: string;
  sub: string;
  scope: string;
  aud: string[];
  /** epoch seconds */
  iat: number;
  exp: number;
  grantId: string | null;
  /**
   * The stream holding its events, kept only when it is not the usual one (`grant-<grantId>` for a
   * grant's tokens, `token-<jti>` otherwise): read it with `streamOf`.
   */
  stream?: string;
  /** epoch ms */
  revokedAt?: number;
  revocationReason?: string;
}

/** A grant (authorization code flow) as operators see it; codes are never kept. */
export interface IndexedGrant {
  grantId: string;
  clientId: string;
  sub: string;
  scope: string;
  /** epoch ms */
  createdAt: number;
  revokedAt?: number;
  revocationReason?: string;
}

/** A browser session, by the hash of its id (never exposed), for a user's session list. */
export interface IndexedSession {
  sidHash: string;
  sub: string;
  authTime: number;
  exp: number;
  amr: string[];
  /** epoch ms */
  endedAt?: number;
  endReason?: string;
}

/**
 * The history index: every access and refresh token ever issued, every grant, every session, with
 * per-client, per-subject and per-grant lists in issue order. A token's or grant's history is then
 * one stream read; nothing here needs a scan of the ledger.
 */
export interface TokenIndexView {
  tokens: Map<string, IndexedToken>;
  /** every jti in issue order */
  order: string[];
  byClient: Map<string, string[]>;
  bySubject: Map<string, string[]>;
  byGrant: Map<string, string[]>;
  grants: Map<string, IndexedGrant>;
  grantsByClient: Map<string, string[]>;
  grantsBySubject: Map<string, string[]>;
  sessions: Map<string, IndexedSession>;
  sessionsBySubject: Map<string, string[]>;
}

const data = <T>(e: RecordedEvent) => (e as unknown as { data: T }).data;

/** The stream holding a token's events. */
export const streamOf = (t: Pick<IndexedToken, 'jti' | 'grantId' | 'stream'>): string =>
  t.stream ?? (t.grantId ? `grant-${t.grantId}` : `token-${t.jti}`);

/**
 * The index keeps every token ever issued, so each one must cost little: values that repeat across
 * tokens (client ids, subjects, scopes, audiences) are held once, not once per parsed event. The
 * table only grows with distinct values (clients, users, scope sets), not with tokens.
 */
const interned = new Map<string, string>();
const intern = (s: string): string => {
  const known = interned.get(s);
  if (known !== undefined) return known;
  interned.set(s, s);
  return s;
};
const internedAud = new Map<string, string[]>();
const internAud = (aud: string[]): string[] => {
  const key = aud.join(' ');
  let known = internedAud.get(key);
  if (!known) internedAud.set(key, (known = Object.freeze(aud.map(intern)) as string[]));
  return known;
};

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function add(v: TokenIndexView, token: Omit<IndexedToken, 'seq'>): TokenIndexView {
  if (v.tokens.has(token.jti)) return v;
  // One literal with every field, in one order: all entries share one compact object shape.
  const entry: IndexedToken = {
    jti: token.jti,
    kind: token.kind,
    seq: v.order.length,
    clientId: intern(token.clientId),
    sub: intern(token.sub),
    scope: intern(token.scope),
    aud: internAud(token.aud),
    iat: token.iat,
    exp: token.exp,
    // Grant ids are unique, so not interned; the grant's own record holds the one copy to share.
    grantId: token.grantId === null ? null : v.grants.get(token.grantId)?.grantId ?? token.grantId,
    stream: undefined,
    revokedAt: undefined,
    revocationReason: undefined,
  };
  const stream = token.stream;
  if (stream !== undefined && stream !== streamOf(entry)) entry.stream = stream;
  v.tokens.set(token.jti, entry);
  v.order.push(token.jti);
  push(v.byClient, token.clientId, token.jti);
  push(v.bySubject, token.sub, token.jti);
  if (token.grantId) push(v.byGrant, token.grantId, token.jti);
  return v;
}

function revoke(v: TokenIndexView, jti: string, at: number, reason: string): void {
  const token = v.tokens.get(jti);
  if (token && token.revokedAt === undefined) {
    token.revokedAt = at;
    token.revocationReason = reason;
  }
}

export const tokenIndexProjection = defineProjection<TokenIndexView>({
  name: 'tokenIndex',
  version: 2,
  initialState: () => ({
    tokens: new Map(),
    order: [],
    byClient: new Map(),
    bySubject: new Map(),
    byGrant: new Map(),
    grants: new Map(),
    grantsByClient: new Map(),
    grantsBySubject: new Map(),
    sessions: new Map(),
    sessionsBySubject: new Map(),
  }),
  on: {
    AccessTokenIssued: (v, e) => {
      const d = data<AccessTokenIssuedEvent['data']>(e);
      return add(v, {
        jti: d.jti,
        kind: 'access_token',
        clientId: d.clientId,
        sub: d.sub,
        scope: d.scope,
        aud: d.aud,
        iat: d.iat,
        exp: d.exp,
        grantId: d.grantId,
        stream: e.stream,
      });
    },
    RefreshTokenIssued: (v, e) => {
      const d = data<RefreshIssuedEvent['data']>(e);
      return add(v, {
        jti: d.jti,
        kind: 'refresh_token',
        clientId: d.clientId,
        sub: d.sub,
        scope: d.scope,
        aud: [],
        iat: d.iat,
        exp: d.exp,
        grantId: d.grantId,
        stream: e.stream,
      });
    },
    // A rotated refresh token can no longer be used: for operators it is revoked, reason "rotated".
    RefreshTokenRotated: (v, e) => {
      revoke(v, data<{ jti: string }>(e).jti, e.recordedAt.getTime(), 'rotated');
      return v;
    },
    TokenRevoked: (v, e) => {
      const d = data<TokenRevokedEvent['data']>(e);
      revoke(v, d.jti, e.recordedAt.getTime(), d.reason);
      return v;
    },
    GrantRevoked: (v, e) => {
      const { grantId, reason } = data<{ grantId: string; reason: string }>(e);
      const at = e.recordedAt.getTime();
      for (const jti of v.byGrant.get(grantId) ?? []) revoke(v, jti, at, reason);
      const grant = v.grants.get(grantId);
      if (grant && grant.revokedAt === undefined) {
        grant.revokedAt = at;
        grant.revocationReason = reason;
      }
      return v;
    },
    AuthorizationCodeIssued: (v, e) => {
      const d = data<CodeIssuedEvent['data']>(e);
      if (v.grants.has(d.grantId)) return v;
      v.grants.set(d.grantId, { grantId: d.grantId, clientId: d.clientId, sub: d.sub, scope: d.scope, createdAt: e.recordedAt.getTime() });
      push(v.grantsByClient, d.clientId, d.grantId);
      push(v.grantsBySubject, d.sub, d.grantId);
      return v;
    },
    SessionStarted: (v, e) => {
      const d = data<SessionStartedEvent['data']>(e);
      if (v.sessions.has(d.sidHash)) return v;
      v.sessions.set(d.sidHash, { sidHash: d.sidHash, sub: d.sub, authTime: d.authTime, exp: d.exp, amr: d.amr });
      push(v.sessionsBySubject, d.sub, d.sidHash);
      return v;
    },
    SessionEnded: (v, e) => {
      const d = data<SessionEndedEvent['data']>(e);
      const session = v.sessions.get(d.sidHash);
      if (session && session.endedAt === undefined) {
        session.endedAt = e.recordedAt.getTime();
        session.endReason = d.reason;
      }
      return v;
    },
  },
});
