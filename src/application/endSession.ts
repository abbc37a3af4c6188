import { sessionDecider } from '../domain/sessions/decide.js';
import { sessionStream } from '../domain/sessions/streams.js';
import { execute } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { sha256 } from '../crypto/hash.js';
import type { Ports } from './ports.js';

export async function endSession(
  ports: Pick<Ports, 'events'>,
  sid: string,
  reason: string,
  ctx: CommandContext,
): Promise<void> {
  await endSessionByHash(ports, sha256(sid), reason, ctx);
}

/** Ends a session known by its hash (the ledger's and the history's name for it). */
export async function endSessionByHash(
  ports: Pick<Ports, 'events'>,
  sidHash: string,
  reason: string,
  ctx: CommandContext,
): Promise<void> {
  await execute(ports.events, sessionStream(sidHash), sessionDecider, { type: 'EndSession', sidHash, reason }, ctx);
}
