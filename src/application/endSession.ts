import { sessionDecider } from '../domain/sessions/decide.js';
import { sessionStream } from '../domain/sessions/streams.js';
import { execute } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { sha256 } from '../crypto/hash.js';
import type { Ports } from './ports.js';
import type { RequestContextData } from '../domain/security/events.js';

export async function endSession(
  ports: Pick<Ports, 'events'>,
  sid: string,
  reason: string,
  ctx: CommandContext,
  /** The user asked at a page: LoggedOut (with the request) is recorded with SessionEnded, in the same append. */
  logout?: { context: RequestContextData; clientId?: string },
): Promise<void> {
  await endSessionByHash(ports, sha256(sid), reason, ctx, logout);
}

/** Ends a session known by its hash (the ledger's and the history's name for it). */
export async function endSessionByHash(
  ports: Pick<Ports, 'events'>,
  sidHash: string,
  reason: string,
  ctx: CommandContext,
  logout?: { context: RequestContextData; clientId?: string },
): Promise<void> {
  const command = { type: 'EndSession' as const, sidHash, reason, ...(logout && { logout }) };
  await execute(ports.events, sessionStream(sidHash), sessionDecider, command, ctx);
}
