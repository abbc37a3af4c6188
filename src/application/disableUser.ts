import type { UserState } from '../domain/users/state.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Runtime } from '../runtime.js';
import { handleUserCommand, recordUserRevocations, viewed } from './users.js';

/** Disables a user: no more sign-ins, and every session, grant and token they hold ends. */
export async function disableUser(rt: Runtime, sub: string, ctx: CommandContext): Promise<UserState> {
  await handleUserCommand(rt, { type: 'DisableUser', sub }, ctx);
  await recordUserRevocations(rt, sub, 'user disabled', ctx);
  return viewed(rt, sub);
}
