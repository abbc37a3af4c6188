import type { CommandContext } from '../ledger/ledger.js';
import type { Runtime } from '../runtime.js';
import { CODE_LIFETIME_SECONDS, endSessionByHash, revokeGrant } from './grants.js';

/**
 * After UserDisabled or UserSessionsRevoked: one GrantRevoked per live grant of the user and one
 * SessionEnded per live session, written before the command answers. `caused` is the operator's
 * command context (actor, correlationId) with that user event's id as causationId.
 *
 * Why both the user event and these records: the user event is the fact. Every view applies it on
 * its own (sessions end and owe back-channel logouts, codes and refresh tokens go, access tokens
 * leave the active view, status-list bits are set), and the token endpoint and introspection refuse
 * a disabled user's grants, so nothing stays usable if the process dies before these records are
 * written. The records are what operators read per grant and per session (GraphQL history), and what
 * makes each grant stream refuse on its own, whatever happens to the user later (re-enabled).
 */
export async function recordUserRevocations(rt: Runtime, sub: string, reason: string, caused: CommandContext): Promise<{ grants: number; sessions: number }> {
  await rt.runner.settleDurable();
  const nowMs = Date.now();
  const grants = new Set<string>();
  for (const t of rt.history.liveTokensOf({ subject: sub }, nowMs)) if (t.grantId) grants.add(t.grantId);
  // A grant whose code is still outstanding has no token yet.
  for (const g of rt.history.grantsOf({ subject: sub })) {
    if (g.revokedAt === undefined && g.createdAt > nowMs - CODE_LIFETIME_SECONDS * 1000) grants.add(g.grantId);
  }
  let revoked = 0;
  for (const grantId of grants) if (await revokeGrant(rt, grantId, reason, caused)) revoked++;
  let ended = 0;
  for (const s of rt.history.sessionsOf(sub)) {
    if (s.endedAt !== undefined || s.exp * 1000 <= nowMs) continue;
    await endSessionByHash(rt, s.sidHash, reason, caused);
    ended++;
  }
  return { grants: revoked, sessions: ended };
}
