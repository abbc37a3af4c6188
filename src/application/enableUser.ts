import type { UserState } from '../domain/users/state.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Runtime } from '../runtime.js';
import { handleUserCommand, viewed } from './users.js';

/** Sign-ins work again; what the disabling ended stays ended (sign in anew for new tokens). */
export async function enableUser(rt: Runtime, sub: string, ctx: CommandContext): Promise<UserState> {
  await handleUserCommand(rt, { type: 'EnableUser', sub }, ctx);
  return viewed(rt, sub);
}
