import type { UserState } from '../domain/users/state.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Ports } from './ports.js';
import { handleUserCommand, viewed } from './users.js';

/** Sign-ins work again; what the disabling ended stays ended (sign in anew for new tokens). */
export async function enableUser(
  ports: Pick<Ports, 'events' | 'views'>,
  sub: string,
  ctx: CommandContext,
): Promise<UserState> {
  await handleUserCommand(ports, { type: 'EnableUser', sub }, ctx);
  return viewed(ports, sub);
}
