import { epochSeconds } from './ports.js';
import { sessionDecider } from '../domain/sessions/decide.js';
import { sessionStream } from '../domain/sessions/streams.js';
import { execute } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { sha256 } from '../crypto/hash.js';
import { mintSecret } from '../crypto/secrets.js';
import type { Ports } from './ports.js';
import type { RequestContextData } from '../domain/security/events.js';

/** A browser session: the returned id goes in the cookie, its hash in the ledger. */
export async function startSession(
  ports: Pick<Ports, 'clock' | 'config' | 'events'>,
  sub: string,
  amr: string[],
  ctx: CommandContext,
  /** The login page's request: LoginSucceeded is recorded with the session, in the same append. */
  login?: { clientId: string; context: RequestContextData },
): Promise<{ sid: string; authTime: number }> {
  const sid = mintSecret('tlsid');
  const authTime = epochSeconds(ports.clock);
  const sidHash = sha256(sid);
  const exp = authTime + ports.config.sessionSeconds;
  // The id is a fresh 256-bit secret: its stream is new.
  await execute(
    ports.events,
    sessionStream(sidHash),
    sessionDecider,
    { type: 'StartSession', sidHash, sub, authTime, amr, exp, ...(login && { login }) },
    ctx,
    {
      fresh: true,
    },
  );
  return { sid, authTime };
}
