import { sessionDecider } from '../domain/sessions/decide.js';
import { sessionStream } from '../domain/sessions/streams.js';
import { execute, writePorts } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { sha256 } from '../crypto/hash.js';
import type { Runtime } from '../runtime.js';

export async function endSession(rt: Runtime, sid: string, reason: string, ctx: CommandContext): Promise<void> {
  await endSessionByHash(rt, sha256(sid), reason, ctx);
}

/** Ends a session known by its hash (the ledger's and the history's name for it). */
export async function endSessionByHash(
  rt: Runtime,
  sidHash: string,
  reason: string,
  ctx: CommandContext,
): Promise<void> {
  await execute(writePorts(rt), sessionStream(sidHash), sessionDecider, { type: 'EndSession', sidHash, reason }, ctx);
}
