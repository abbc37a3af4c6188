import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Runtime } from '../runtime.js';
import { runOnGrant } from './grantIssuance.js';

/** Revokes one token of a grant (a refresh token takes the whole grant with it); false when nothing changed. */
export async function revokeGrantToken(
  rt: Runtime,
  grantId: string,
  jti: string,
  clientId: string | null,
  reason: string,
  ctx: CommandContext,
): Promise<boolean> {
  return (await runOnGrant(rt, grantId, { type: 'RevokeToken', jti, clientId, reason }, ctx)).length > 0;
}

export async function revokeGrant(rt: Runtime, grantId: string, reason: string, ctx: CommandContext): Promise<boolean> {
  return (await runOnGrant(rt, grantId, { type: 'RevokeGrant', reason }, ctx)).length > 0;
}
