import { assertionDecider, AssertionReplayedError } from '../domain/assertions/decide.js';
import { assertionJtiHash, assertionStream } from '../domain/assertions/streams.js';
import { execute } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Ports } from './ports.js';

/** Records a client assertion's jti; false when it was recorded before (a replay). */
export async function rememberClientAssertion(
  ports: Pick<Ports, 'events'>,
  clientId: string,
  jti: string,
  exp: number,
  ctx: CommandContext,
): Promise<boolean> {
  const jtiHash = assertionJtiHash(clientId, jti);
  try {
    // No view needs it before the answer: durable is enough.
    await execute(
      ports.events,
      assertionStream(jtiHash),
      assertionDecider,
      { type: 'RecordClientAssertion', clientId, jtiHash, exp },
      ctx,
      {
        fresh: true,
        waitForViews: false,
      },
    );
    return true;
  } catch (err) {
    if (err instanceof AssertionReplayedError) return false;
    throw err;
  }
}
