import { tokenDecider } from '../domain/tokens/decide.js';
import { tokenStream } from '../domain/tokens/streams.js';
import { execute } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Ports } from './ports.js';

/** Revokes a token by jti; returns whether anything was revoked (RFC 7009 answers 200 either way). */
export async function revokeToken(
  ports: Pick<Ports, 'events'>,
  jti: string,
  requestedBy: { clientId: string } | { operator: string },
  reason: string,
  ctx: CommandContext,
): Promise<boolean> {
  const { events } = await execute(
    ports.events,
    tokenStream(jti),
    tokenDecider,
    { type: 'RevokeToken', jti, requestedBy, reason },
    ctx,
  );
  return events.length > 0;
}
