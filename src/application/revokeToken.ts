import { tokenDecider } from '../domain/tokens/decide.js';
import { tokenStream } from '../domain/tokens/streams.js';
import { execute, writePorts } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Runtime } from '../runtime.js';

/** Revokes a token by jti; returns whether anything was revoked (RFC 7009 answers 200 either way). */
export async function revokeToken(
  rt: Runtime,
  jti: string,
  requestedBy: { clientId: string } | { operator: string },
  reason: string,
  ctx: CommandContext,
): Promise<boolean> {
  const { events } = await execute(
    writePorts(rt),
    tokenStream(jti),
    tokenDecider,
    { type: 'RevokeToken', jti, requestedBy, reason },
    ctx,
  );
  return events.length > 0;
}
