import { createHash } from 'node:crypto';
import type { CodeIssuedEvent } from '../src/domain/grants/events.js';
import type {
  BackchannelDeliveredEvent,
  BackchannelFailedEvent,
  SessionEndedEvent,
  SessionStartedEvent,
} from '../src/domain/sessions/events.js';
import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import { defineProjection } from './projection.js';
import { addTo, dataOf, removeFrom } from './viewMaps.js';

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

/**
 * OIDC Back-Channel Logout: who is owed a logout token. To know that when a session ends, it
 * follows each live session's user and the clients that received a code in it.
 */
interface BackchannelLogoutsView {
  /** clients that registered a backchannel_logout_uri */
  clients: Set<string>;
  /** sidHash → the session's user, its expiry (epoch s) and the clients that received a code in it */
  sessions: Map<string, { sub: string; exp: number; clients: Set<string> }>;
  /** sub → live sessions' hashes, so ending everything of a user touches only theirs */
  sessionsBySub: Map<string, Set<string>>;
  /** `${sidHash}\0${clientId}` → a logout token still to deliver */
  pending: Map<string, PendingLogout>;
}

const pendingLogoutKey = (sidHash: string, clientId: string) => `${sidHash}\0${clientId}`;

function trackClient(v: BackchannelLogoutsView, e: RecordedEvent): BackchannelLogoutsView {
  const d = dataOf<{ clientId: string; metadata: { backchannel_logout_uri?: string } }>(e);
  if (d.metadata.backchannel_logout_uri) v.clients.add(d.clientId);
  else v.clients.delete(d.clientId);
  return v;
}

/** A session ends: each of its clients with a backchannel_logout_uri is owed a logout token from now. */
function endSession(v: BackchannelLogoutsView, sidHash: string, e: RecordedEvent): void {
  const session = v.sessions.get(sidHash);
  if (!session) return;
  v.sessions.delete(sidHash);
  removeFrom(v.sessionsBySub, session.sub, sidHash);
  for (const clientId of session.clients) {
    if (!v.clients.has(clientId)) continue;
    const jti = createHash('sha256').update(`${e.id}\0${clientId}`).digest('base64url');
    v.pending.set(pendingLogoutKey(sidHash, clientId), {
      sidHash,
      sub: session.sub,
      clientId,
      jti,
      attempts: 0,
      nextAttemptAt: e.recordedAt.getTime(),
    });
  }
}

/** UserDisabled and UserSessionsRevoked end every session of the user, as SessionEnded would. */
function endAllOfUser(v: BackchannelLogoutsView, e: RecordedEvent): BackchannelLogoutsView {
  const { sub } = dataOf<{ sub: string }>(e);
  for (const sidHash of [...(v.sessionsBySub.get(sub) ?? [])]) endSession(v, sidHash, e);
  v.sessionsBySub.delete(sub);
  return v;
}

export const backchannelLogoutsProjection = defineProjection<BackchannelLogoutsView>({
  name: 'backchannelLogouts',
  version: 1,
  initialState: () => ({ clients: new Set(), sessions: new Map(), sessionsBySub: new Map(), pending: new Map() }),
  on: {
    ClientRegistered: trackClient,
    ClientUpdated: trackClient,
    SessionStarted: (v, e) => {
      const d = dataOf<SessionStartedEvent['data']>(e);
      const clients = v.sessions.get(d.sidHash)?.clients ?? new Set<string>();
      v.sessions.set(d.sidHash, { sub: d.sub, exp: d.exp, clients });
      addTo(v.sessionsBySub, d.sub, d.sidHash);
      return v;
    },
    AuthorizationCodeIssued: (v, e) => {
      const d = dataOf<CodeIssuedEvent['data']>(e);
      if (d.sid !== null) v.sessions.get(d.sid)?.clients.add(d.clientId);
      return v;
    },
    SessionEnded: (v, e) => {
      endSession(v, dataOf<SessionEndedEvent['data']>(e).sidHash, e);
      return v;
    },
    UserDisabled: endAllOfUser,
    UserSessionsRevoked: endAllOfUser,
    BackchannelLogoutDelivered: (v, e) => {
      const d = dataOf<BackchannelDeliveredEvent['data']>(e);
      v.pending.delete(pendingLogoutKey(d.sidHash, d.clientId));
      return v;
    },
    BackchannelLogoutFailed: (v, e) => {
      const d = dataOf<BackchannelFailedEvent['data']>(e);
      const key = pendingLogoutKey(d.sidHash, d.clientId);
      const pending = v.pending.get(key);
      if (!pending) return v;
      if (d.nextAttemptAt === null) v.pending.delete(key);
      else v.pending.set(key, { ...pending, attempts: d.attempt, nextAttemptAt: Date.parse(d.nextAttemptAt) });
      return v;
    },
  },
});

/** Forgets expired sessions (logouts already owed stay until delivered or given up). */
export function evictExpiredLogoutSessions(v: BackchannelLogoutsView, nowSeconds: number): void {
  for (const [hash, s] of v.sessions) {
    if (s.exp > nowSeconds) continue;
    v.sessions.delete(hash);
    removeFrom(v.sessionsBySub, s.sub, hash);
  }
}
