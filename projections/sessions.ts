import type { SessionEndedEvent, SessionStartedEvent } from '../src/domain/sessions/events.js';
import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import { defineProjection } from './projection.js';
import { addTo, dataOf, removeFrom } from './viewMaps.js';

export type Session = SessionStartedEvent['data'];

/** Browser sessions (by the hash of their sid) until they end or expire. */
interface SessionsView {
  byHash: Map<string, Session>;
  /** sub → live sessions' hashes, so ending everything of a user touches only theirs */
  bySub: Map<string, Set<string>>;
}

function end(v: SessionsView, sidHash: string): void {
  const session = v.byHash.get(sidHash);
  v.byHash.delete(sidHash);
  if (session) removeFrom(v.bySub, session.sub, sidHash);
}

/** UserDisabled and UserSessionsRevoked end every session of the user, whether or not SessionEnded follows. */
function endAllOfUser(v: SessionsView, e: RecordedEvent): SessionsView {
  const { sub } = dataOf<{ sub: string }>(e);
  for (const sidHash of v.bySub.get(sub) ?? []) v.byHash.delete(sidHash);
  v.bySub.delete(sub);
  return v;
}

export const sessionsProjection = defineProjection<SessionsView>({
  name: 'sessions',
  version: 1,
  initialState: () => ({ byHash: new Map(), bySub: new Map() }),
  on: {
    SessionStarted: (v, e) => {
      const d = dataOf<Session>(e);
      v.byHash.set(d.sidHash, d);
      addTo(v.bySub, d.sub, d.sidHash);
      return v;
    },
    SessionEnded: (v, e) => {
      end(v, dataOf<SessionEndedEvent['data']>(e).sidHash);
      return v;
    },
    UserDisabled: endAllOfUser,
    UserSessionsRevoked: endAllOfUser,
  },
});

/** Drops sessions past their expiry. */
export function evictExpiredSessions(v: SessionsView, nowSeconds: number): void {
  for (const [hash, s] of v.byHash) if (s.exp <= nowSeconds) end(v, hash);
}
