import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Ports } from './ports.js';
import { endSessionByHash } from './endSession.js';
import { CODE_LIFETIME_SECONDS } from './grantIssuance.js';
import { revokeGrant } from './revokeGrant.js';
import { revokeToken } from './revokeToken.js';

/** Whose holdings end: a user's (UserDisabled, UserSessionsRevoked) or a client's (ClientDisabled). */
type Holder = { subject: string } | { clientId: string };

/**
 * After the event that ends everything a holder has (UserDisabled, UserSessionsRevoked,
 * ClientDisabled): one GrantRevoked per live grant, one TokenRevoked per live token outside a grant
 * (a client's client_credentials tokens), and for a user one SessionEnded per live session —
 * written before the command answers. `caused` is the operator's command context (actor,
 * correlationId) with that event's id as causationId.
 *
 * Why both the event and these records: the event is the fact. Every view applies it on its own
 * (a user's sessions end and owe back-channel logouts, codes and refresh tokens go, access tokens
 * leave the active view, status-list bits are set), and the token endpoint and introspection refuse
 * what a disabled user or client holds, so nothing stays usable if the process dies before these
 * records are all written. The records are what operators read per grant, token and session
 * (GraphQL history), and they make each grant stream refuse on its own, whatever happens to the
 * user or client later (enableUser).
 *
 * An operator's "revoke everything of this client or subject" (GraphQL) is the same rule without
 * ending sessions (`endSessions: false`). Answers how many tokens were live.
 */
export async function revokeAllFor(
  ports: Pick<Ports, 'cache' | 'clock' | 'events' | 'history' | 'settleHistory' | 'views'>,
  holder: Holder,
  reason: string,
  caused: CommandContext,
  { endSessions = true }: { endSessions?: boolean } = {},
): Promise<number> {
  await ports.settleHistory();
  const nowMs = ports.clock();
  const grants = new Set<string>();
  const plain: string[] = [];
  const live = ports.history.liveTokensOf(holder, nowMs);
  for (const t of live) {
    if (t.grantId) grants.add(t.grantId);
    else plain.push(t.jti);
  }
  // A grant whose code is still outstanding has no token yet.
  for (const g of ports.history.grantsOf(holder)) {
    if (g.revokedAt === undefined && g.createdAt > nowMs - CODE_LIFETIME_SECONDS * 1000) grants.add(g.grantId);
  }
  for (const grantId of grants) await revokeGrant(ports, grantId, reason, caused);
  const operator = caused.actor.replace(/^operator:/, '');
  for (const jti of plain) await revokeToken(ports, jti, { operator }, reason, caused);
  if ('subject' in holder && endSessions) {
    for (const s of ports.history.sessionsOf(holder.subject)) {
      if (s.endedAt === undefined && s.exp * 1000 > nowMs) await endSessionByHash(ports, s.sidHash, reason, caused);
    }
  }
  return live.length;
}

/**
 * `revokeAllFor` after the event that ends everything of `holder`: the records are caused by the last event of
 * `cause.types` in `cause.stream` (the one just written), and keep the operator's actor and correlation.
 */
export async function revokeAllCausedBy(
  ports: Pick<Ports, 'cache' | 'clock' | 'events' | 'history' | 'settleHistory' | 'views'>,
  holder: Holder,
  reason: string,
  ctx: CommandContext,
  cause: { stream: string; types: readonly string[] },
): Promise<void> {
  const causationId = await causeIn(ports, cause.stream, cause.types);
  await revokeAllFor(ports, holder, reason, { ...ctx, causationId: causationId ?? ctx.causationId ?? null });
}

/** The causation id for the records: the id of the last event of `types` in `stream`. */
async function causeIn(ports: Pick<Ports, 'events'>, stream: string, types: readonly string[]): Promise<string | null> {
  let cause: string | null = null;
  for (const e of await ports.events.ledger.store.readStream(stream)) if (types.includes(e.type)) cause = e.id;
  return cause;
}
