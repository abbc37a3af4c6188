import { DERIVED_REVOCATION_REASON } from '../domain/exchange/events.js';
import { tokenDecider } from '../domain/tokens/decide.js';
import { tokenStream } from '../domain/tokens/streams.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { execute } from './execute.js';
import type { Ports } from './ports.js';
import { revocationReachesExchanged } from './queries/tokenExchange.js';

export type DerivedPorts = Pick<Ports, 'clock' | 'events' | 'history' | 'settleHistory' | 'views'>;

/**
 * A revocation that reaches exchanged tokens (RFC 8693): `revoke` writes it, then every token exchanged from the
 * revoked one, or from any token of the revoked grant, down the whole chain, gets its own TokenRevoked, each caused
 * by the revocation (`causationId`: its event's id). Every view already ends them when it applies the revocation
 * (projections/tokenExchange.ts, the status lists, the history index): these records are what operators read per
 * token, and what makes each token's stream refuse on its own. Asked of this instance's views first, so a revocation
 * with nothing exchanged from it costs no wait for the history index.
 */
export async function revokeWithDerived(
  ports: DerivedPorts,
  of: { jti: string; stream: string } | { grantId: string; stream: string },
  revoke: () => Promise<boolean>,
  ctx: CommandContext,
): Promise<boolean> {
  const reaches = revocationReachesExchanged(ports.views, of);
  const revoked = await revoke();
  if (revoked && reaches) await revokeDerived(ports, of, ctx);
  return revoked;
}

async function revokeDerived(
  ports: DerivedPorts,
  of: { jti: string; stream: string } | { grantId: string; stream: string },
  ctx: CommandContext,
): Promise<void> {
  const events = await ports.events.ledger.store.readStream(of.stream);
  const type = 'jti' in of ? 'TokenRevoked' : 'GrantRevoked';
  const cause = [...events].reverse().find((e) => e.type === type);
  const caused: CommandContext = { ...ctx, causationId: cause?.id ?? ctx.causationId ?? null };
  await ports.settleHistory();
  const derived = ports.history.exchangedFrom('jti' in of ? { jti: of.jti } : { grantId: of.grantId }, ports.clock());
  for (const jti of derived) {
    await execute(
      ports.events,
      tokenStream(jti),
      tokenDecider,
      { type: 'RevokeToken', jti, requestedBy: { operator: ctx.actor }, reason: DERIVED_REVOCATION_REASON },
      caused,
    );
  }
}
