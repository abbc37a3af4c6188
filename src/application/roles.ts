import { UserCommandError } from '../domain/users/decide.js';
import type { UserState } from '../domain/users/state.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Ports } from './ports.js';
import { handleUserCommand, viewed } from './users.js';

const ROLE_REASON_MAX = 200;

/** A change of who may operate the ledger is recorded with why (the event's metadata), as disabling a user is. */
function withReason(ctx: CommandContext & { reason: string }): CommandContext {
  const reason = ctx.reason.trim();
  if (reason.length < 1 || reason.length > ROLE_REASON_MAX)
    throw new UserCommandError('invalid_reason', `reason must be 1 to ${ROLE_REASON_MAX} characters`);
  return { ...ctx, reason };
}

/**
 * Lets the person's tokens carry the role's `ledger:*` scope (when a client asks for it). Refused for a disabled or
 * erased user and an unknown role; a role held already writes nothing.
 */
export async function grantRole(
  ports: Pick<Ports, 'events' | 'views'>,
  sub: string,
  role: string,
  ctx: CommandContext & { reason: string },
): Promise<UserState> {
  await handleUserCommand(ports, { type: 'GrantRole', sub, role }, withReason(ctx));
  return viewed(ports, sub);
}

/**
 * Takes the role away: the management API refuses the person's tokens its scope from the next request on, and no
 * token issued from now on carries it. A role not held writes nothing.
 */
export async function revokeRole(
  ports: Pick<Ports, 'events' | 'views'>,
  sub: string,
  role: string,
  ctx: CommandContext & { reason: string },
): Promise<UserState> {
  await handleUserCommand(ports, { type: 'RevokeRole', sub, role }, withReason(ctx));
  return viewed(ports, sub);
}
