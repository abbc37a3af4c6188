import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Ports } from './ports.js';
import { runOnGrant } from './grantIssuance.js';

/** Revokes one token of a grant (a refresh token takes the whole grant with it); false when nothing changed. */
export async function revokeGrantToken(
  ports: Pick<Ports, 'cache' | 'events'>,
  grantId: string,
  jti: string,
  clientId: string | null,
  reason: string,
  ctx: CommandContext,
): Promise<boolean> {
  return (await runOnGrant(ports, grantId, { type: 'RevokeToken', jti, clientId, reason }, ctx)).length > 0;
}

export async function revokeGrant(
  ports: Pick<Ports, 'cache' | 'events'>,
  grantId: string,
  reason: string,
  ctx: CommandContext,
): Promise<boolean> {
  return (await runOnGrant(ports, grantId, { type: 'RevokeGrant', reason }, ctx)).length > 0;
}
