import { SessionList } from './shared.js';
import type { LedgerEvent, Session } from './types.js';
import { useQuery } from './useQuery.js';

const SESSIONS = `query GrantSessions($sub: ID!) {
  user(sub: $sub) { sessions { active amr authenticatedAt expiresAt endedAt endReason } }
}`;

/** When the person authenticated for each code of the grant (epoch seconds): a session is known by that moment. */
function authTimes(history: LedgerEvent[]): Set<number> {
  const times = new Set<number>();
  for (const e of history)
    if (e.type === 'AuthorizationCodeIssued' && typeof e.data.authTime === 'number') times.add(e.data.authTime);
  return times;
}

/**
 * The sign-in sessions the grant was authorized in. Sessions carry no grant id (their id is a secret), so they are
 * matched by the moment of authentication the grant's authorization code recorded.
 */
export function GrantSessions({ subject, history }: { subject: string; history: LedgerEvent[] }) {
  const q = useQuery<{ user: { sessions: Session[] } | null }>(SESSIONS, { sub: subject });
  const times = authTimes(history);
  if (times.size === 0) return <p>None: this grant was not authorized in a browser session (a device grant).</p>;
  if (q.error) return <p class="error">{q.error.message}</p>;
  if (!q.data) return <p>Loading…</p>;
  const sessions = (q.data.user?.sessions ?? []).filter((s) =>
    times.has(Math.floor(Date.parse(s.authenticatedAt) / 1000)),
  );
  return <SessionList sessions={sessions} empty="Its session is no longer on record." />;
}
