import { tokenDecider } from '../domain/tokens/decide.js';
import { tokenStream } from '../domain/tokens/streams.js';
import { execute } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { revokeWithDerived, type DerivedPorts } from './revokeDerived.js';

/**
 * Revokes a token by jti, and what was exchanged from it; returns whether anything was revoked (RFC 7009 answers 200
 * either way).
 */
export async function revokeToken(
  ports: DerivedPorts,
  jti: string,
  requestedBy: { clientId: string } | { operator: string },
  reason: string,
  ctx: CommandContext,
): Promise<boolean> {
  const stream = tokenStream(jti);
  return revokeWithDerived(
    ports,
    { jti, stream },
    async () =>
      (await execute(ports.events, stream, tokenDecider, { type: 'RevokeToken', jti, requestedBy, reason }, ctx)).events
        .length > 0,
    ctx,
  );
}
