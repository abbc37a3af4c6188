import { assertionDecider, AssertionReplayedError, type OneTimeUseEvent } from '../domain/assertions/decide.js';
import { assertionStream } from '../domain/assertions/streams.js';
import { execute } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Ports } from './ports.js';

/**
 * Records a one-time JWT's jti (client assertion, DPoP proof, request object) on its own stream; false when it was
 * recorded before (a replay). Durable before the answer, so a replay is refused on every instance and after a restart.
 */
export async function rememberOnce(
  ports: Pick<Ports, 'events'>,
  event: OneTimeUseEvent,
  ctx: CommandContext,
): Promise<boolean> {
  try {
    // No view needs it before the answer: durable is enough.
    await execute(
      ports.events,
      assertionStream(event.data.jtiHash),
      assertionDecider,
      { type: 'RecordOneTimeUse', event },
      ctx,
      { fresh: true, waitForViews: false },
    );
    return true;
  } catch (err) {
    if (err instanceof AssertionReplayedError) return false;
    throw err;
  }
}
