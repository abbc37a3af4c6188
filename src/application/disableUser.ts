import type { UserState } from '../domain/users/state.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Ports } from './ports.js';
import { handleUserCommand, recordUserRevocations, viewed } from './users.js';

/** Disables a user: no more sign-ins, and every session, grant and token they hold ends. */
export async function disableUser(
  ports: Pick<Ports, 'cache' | 'clock' | 'events' | 'history' | 'settleHistory' | 'views'>,
  sub: string,
  ctx: CommandContext,
): Promise<UserState> {
  await handleUserCommand(ports, { type: 'DisableUser', sub }, ctx);
  await recordUserRevocations(ports, sub, 'user disabled', ctx);
  return viewed(ports, sub);
}
