import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Ports } from './ports.js';
import { runOnGrant } from './grantIssuance.js';
import { grantStream } from '../domain/grants/streams.js';
import { revokeWithDerived, type DerivedPorts } from './revokeDerived.js';

/**
 * Revokes one token of a grant (a refresh token takes the whole grant with it), and what was exchanged from what
 * ended; false when nothing changed.
 */
export async function revokeGrantToken(
  ports: Pick<Ports, 'cache'> & DerivedPorts,
  grantId: string,
  jti: string,
  clientId: string | null,
  reason: string,
  ctx: CommandContext,
): Promise<boolean> {
  let whole = false;
  const stream = grantStream(grantId);
  const revoke = async () => {
    const events = await runOnGrant(ports, grantId, { type: 'RevokeToken', jti, clientId, reason }, ctx);
    whole = events.some((e) => e.type === 'GrantRevoked');
    return events.length > 0;
  };
  // An access token's revocation reaches what was exchanged from it; a refresh token's, the whole grant's chains.
  const revoked = await revokeWithDerived(ports, { jti, stream }, revoke, ctx);
  if (whole) await revokeWithDerived(ports, { grantId, stream }, () => Promise.resolve(true), ctx);
  return revoked;
}

/** Revokes a grant and every token of it, and what was exchanged from them. */
export async function revokeGrant(
  ports: Pick<Ports, 'cache'> & DerivedPorts,
  grantId: string,
  reason: string,
  ctx: CommandContext,
): Promise<boolean> {
  return revokeWithDerived(
    ports,
    { grantId, stream: grantStream(grantId) },
    async () => (await runOnGrant(ports, grantId, { type: 'RevokeGrant', reason }, ctx)).length > 0,
    ctx,
  );
}
