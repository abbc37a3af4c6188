import type { AuthorizationGrantedEvent, CodeIssuedEvent, RefreshIssuedEvent } from '../src/domain/grants/events.js';
import { createHash } from 'node:crypto';
import type {
  BackchannelDeliveredEvent,
  BackchannelFailedEvent,
  SessionEndedEvent,
  SessionStartedEvent,
} from '../src/domain/sessions/events.js';
import type { RecordedEvent } from '../src/ledger/eventStore.js';
import { defineProjection } from './projection.js';

/** Views the authorization-code flow reads: sessions, remembered consent, live codes, refresh tokens. */
export interface AuthorizationView {
  sessions: Map<string, SessionStartedEvent['data']>;
  /** `${sub}\0${clientId}` → scopes consented to */
  consents: Map<string, Set<string>>;
  codes: Map<string, { grantId: string; exp: number }>;
  refresh: Map<string, RefreshIssuedEvent['data'] & { status: 'active' | 'rotated' }>;
  refreshByJti: Map<string, string>;
  /** grantId → refresh token hashes, so a revoked grant drops them all */
  refreshByGrant: Map<string, string[]>;
  /** sidHash → clients that received a code in that session (who to tell at logout) */
  sessionClients: Map<string, Set<string>>;
  /** clients that registered a backchannel_logout_uri */
  backchannelClients: Set<string>;
  /** `${sidHash}\0${clientId}` → a logout token still to deliver */
  pendingLogouts: Map<string, PendingLogout>;
  /** sub → live sessions' hashes, so ending everything of a user touches only theirs */
  sessionsBySub: Map<string, Set<string>>;
  /** sub → grantId → its code's hash and how long the grant may hold a code or refresh token (epoch s) */
  grantsBySub: Map<string, Map<string, { codeHash: string; until: number }>>;
}

export interface PendingLogout {
  sidHash: string;
  sub: string;
  clientId: string;
  /** Stable per session and client, so a repeated delivery is recognisable by the client. */
  jti: string;
  attempts: number;
  /** epoch ms */
  nextAttemptAt: number;
}

const CODE_MEMORY_SECONDS = 86_400;

function trackBackchannel(
  v: AuthorizationView,
  d: { clientId: string; metadata: { backchannel_logout_uri?: string } },
): AuthorizationView {
  if (d.metadata.backchannel_logout_uri) v.backchannelClients.add(d.clientId);
  else v.backchannelClients.delete(d.clientId);
  return v;
}

export const consentKey = (sub: string, clientId: string) => `${sub}\0${clientId}`;

const data = <T>(e: RecordedEvent) => (e as unknown as { data: T }).data;

/** Ends a session as SessionEnded does: its clients with a backchannel_logout_uri are owed a logout token. */
function endSession(v: AuthorizationView, sidHash: string, e: RecordedEvent): void {
  const session = v.sessions.get(sidHash);
  v.sessions.delete(sidHash);
  if (session) removeFrom(v.sessionsBySub, session.sub, sidHash);
  for (const clientId of v.sessionClients.get(sidHash) ?? []) {
    if (!session || !v.backchannelClients.has(clientId)) continue;
    const jti = createHash('sha256').update(`${e.id}\0${clientId}`).digest('base64url');
    v.pendingLogouts.set(`${sidHash}\0${clientId}`, {
      sidHash,
      sub: session.sub,
      clientId,
      jti,
      attempts: 0,
      nextAttemptAt: e.recordedAt.getTime(),
    });
  }
  v.sessionClients.delete(sidHash);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  set?.delete(value);
  if (set?.size === 0) map.delete(key);
}

function dropRefreshOfGrant(v: AuthorizationView, grantId: string): void {
  for (const hash of v.refreshByGrant.get(grantId) ?? []) {
    const token = v.refresh.get(hash);
    if (token) v.refreshByJti.delete(token.jti);
    v.refresh.delete(hash);
  }
  v.refreshByGrant.delete(grantId);
}

/**
 * UserDisabled and UserSessionsRevoked: the user's sessions end (back-channel logouts owed), their
 * outstanding codes and refresh tokens are gone. Applied from the one user event, so it holds even
 * if the per-grant GrantRevoked records that follow it were never written (a crash in between).
 */
function endEverythingOfUser(v: AuthorizationView, e: RecordedEvent): AuthorizationView {
  const { sub } = data<{ sub: string }>(e);
  for (const sidHash of [...(v.sessionsBySub.get(sub) ?? [])]) endSession(v, sidHash, e);
  v.sessionsBySub.delete(sub);
  for (const [grantId, { codeHash }] of v.grantsBySub.get(sub) ?? []) {
    v.codes.delete(codeHash);
    dropRefreshOfGrant(v, grantId);
  }
  v.grantsBySub.delete(sub);
  return v;
}

export const authorizationProjection = defineProjection<AuthorizationView>({
  name: 'authorization',
  version: 3,
  initialState: () => ({
    sessions: new Map(),
    consents: new Map(),
    codes: new Map(),
    refresh: new Map(),
    refreshByJti: new Map(),
    refreshByGrant: new Map(),
    sessionClients: new Map(),
    backchannelClients: new Set(),
    pendingLogouts: new Map(),
    sessionsBySub: new Map(),
    grantsBySub: new Map(),
  }),
  on: {
    SessionStarted: (v, e) => {
      const d = data<SessionStartedEvent['data']>(e);
      v.sessions.set(d.sidHash, d);
      const mine = v.sessionsBySub.get(d.sub);
      if (mine) mine.add(d.sidHash);
      else v.sessionsBySub.set(d.sub, new Set([d.sidHash]));
      return v;
    },
    SessionEnded: (v, e) => {
      endSession(v, data<SessionEndedEvent['data']>(e).sidHash, e);
      return v;
    },
    UserDisabled: endEverythingOfUser,
    UserSessionsRevoked: endEverythingOfUser,
    BackchannelLogoutDelivered: (v, e) => {
      const d = data<BackchannelDeliveredEvent['data']>(e);
      v.pendingLogouts.delete(`${d.sidHash}\0${d.clientId}`);
      return v;
    },
    BackchannelLogoutFailed: (v, e) => {
      const d = data<BackchannelFailedEvent['data']>(e);
      const key = `${d.sidHash}\0${d.clientId}`;
      const pending = v.pendingLogouts.get(key);
      if (!pending) return v;
      if (d.nextAttemptAt === null) v.pendingLogouts.delete(key);
      else v.pendingLogouts.set(key, { ...pending, attempts: d.attempt, nextAttemptAt: Date.parse(d.nextAttemptAt) });
      return v;
    },
    ClientRegistered: (v, e) =>
      trackBackchannel(v, data<{ clientId: string; metadata: { backchannel_logout_uri?: string } }>(e)),
    ClientUpdated: (v, e) =>
      trackBackchannel(v, data<{ clientId: string; metadata: { backchannel_logout_uri?: string } }>(e)),
    AuthorizationGranted: (v, e) => {
      const d = data<AuthorizationGrantedEvent['data']>(e);
      const key = consentKey(d.sub, d.clientId);
      const set = v.consents.get(key) ?? new Set<string>();
      for (const s of d.scope.split(' ')) if (s) set.add(s);
      v.consents.set(key, set);
      return v;
    },
    AuthorizationCodeIssued: (v, e) => {
      const d = data<CodeIssuedEvent['data']>(e);
      v.codes.set(d.codeHash, { grantId: d.grantId, exp: d.exp });
      const grants = v.grantsBySub.get(d.sub) ?? new Map<string, { codeHash: string; until: number }>();
      grants.set(d.grantId, { codeHash: d.codeHash, until: d.exp + CODE_MEMORY_SECONDS });
      v.grantsBySub.set(d.sub, grants);
      if (d.sid !== null && v.sessions.has(d.sid)) {
        const clients = v.sessionClients.get(d.sid) ?? new Set<string>();
        clients.add(d.clientId);
        v.sessionClients.set(d.sid, clients);
      }
      return v;
    },
    RefreshTokenIssued: (v, e) => {
      const d = data<RefreshIssuedEvent['data']>(e);
      v.refresh.set(d.tokenHash, { ...d, status: 'active' });
      v.refreshByJti.set(d.jti, d.tokenHash);
      const list = v.refreshByGrant.get(d.grantId);
      if (list) list.push(d.tokenHash);
      else v.refreshByGrant.set(d.grantId, [d.tokenHash]);
      const grant = v.grantsBySub.get(d.sub)?.get(d.grantId);
      if (grant) grant.until = Math.max(grant.until, d.familyExp);
      return v;
    },
    // A rotated token stays known until its family expires: presenting it again is reuse, not "unknown".
    RefreshTokenRotated: (v, e) => {
      const hash = v.refreshByJti.get(data<{ jti: string }>(e).jti);
      const token = hash ? v.refresh.get(hash) : undefined;
      if (token) token.status = 'rotated';
      return v;
    },
    GrantRevoked: (v, e) => {
      dropRefreshOfGrant(v, data<{ grantId: string }>(e).grantId);
      return v;
    },
  },
});

/** Drops sessions, codes and refresh tokens past their expiry; memory follows what is live. */
export function evictExpiredAuthorization(v: AuthorizationView, nowSeconds: number): void {
  for (const [hash, s] of v.sessions) {
    if (s.exp > nowSeconds) continue;
    v.sessions.delete(hash);
    v.sessionClients.delete(hash);
    removeFrom(v.sessionsBySub, s.sub, hash);
  }
  for (const [sub, grants] of v.grantsBySub) {
    for (const [grantId, g] of grants) if (g.until <= nowSeconds) grants.delete(grantId);
    if (grants.size === 0) v.grantsBySub.delete(sub);
  }
  // A used code stays known for a day after it expires, so a late replay still revokes what it produced.
  for (const [hash, c] of v.codes) if (c.exp + CODE_MEMORY_SECONDS <= nowSeconds) v.codes.delete(hash);
  for (const [hash, r] of v.refresh) {
    if (r.familyExp > nowSeconds) continue;
    v.refresh.delete(hash);
    v.refreshByJti.delete(r.jti);
    v.refreshByGrant.delete(r.grantId);
  }
}
