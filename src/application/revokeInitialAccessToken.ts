import { initialAccessTokenDecider } from '../domain/initialAccessTokens/decide.js';
import { initialAccessTokenStream } from '../domain/initialAccessTokens/streams.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { execute } from './execute.js';
import type { Ports } from './ports.js';

/** Stops a token from registering more clients (CLI and GraphQL); those it registered stay. Revoked again: no-op. */
export async function revokeInitialAccessToken(
  ports: Pick<Ports, 'events'>,
  id: string,
  ctx: CommandContext,
): Promise<void> {
  await execute(
    ports.events,
    initialAccessTokenStream(id),
    initialAccessTokenDecider,
    { type: 'RevokeInitialAccessToken', tokenHash: id },
    ctx,
  );
}
