import { UserCommandError, type UserCommand } from '../domain/users/decide.js';
import { userDecider } from '../domain/users/decider.js';
import { ENDS_EVERYTHING_OF_USER, type UserEvent } from '../domain/users/events.js';
import type { UserState } from '../domain/users/state.js';
import { userStream } from '../domain/users/streams.js';
import { execute, writePorts } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { verifyPassword } from '../security/passwords.js';
import type { Runtime } from '../runtime.js';
import { userBySub, userByUsername } from './queries/users.js';
import { causeIn, revokeAllFor } from './revokeAllFor.js';

/** The one path for user-stream changes; returns once the users view has them. */
export async function handleUserCommand(rt: Runtime, command: UserCommand, ctx: CommandContext): Promise<UserEvent[]> {
  const { events } = await execute(writePorts(rt), userStream(command.sub), userDecider, command, ctx);
  return events;
}

/** The user as the users view holds it after a change. */
export function viewed(rt: Runtime, sub: string): UserState {
  const user = userBySub(rt.views, sub);
  if (!user) throw new UserCommandError('user_not_found', `user ${sub} does not exist`);
  return user;
}

/** The per-grant and per-session records, caused by the user event just written. */
export async function recordUserRevocations(
  rt: Runtime,
  sub: string,
  reason: string,
  ctx: CommandContext,
): Promise<void> {
  const cause = await causeIn(rt, userStream(sub), ENDS_EVERYTHING_OF_USER);
  await revokeAllFor(rt, { subject: sub }, reason, { ...ctx, causationId: cause ?? ctx.causationId ?? null });
}

/** The user holding this username (compared normalised), from the users view; disabled ones included. */
export function findUserByUsername(rt: Runtime, username: string): UserState | undefined {
  return userByUsername(rt.views, username);
}

export function findUserBySub(rt: Runtime, sub: string): UserState | undefined {
  return userBySub(rt.views, sub);
}

/**
 * The active user whose username and password match, else undefined. Costs one scrypt whether the
 * user exists, is disabled or not (DUMMY_HASH stands in), so the answer's timing names no account.
 * Pair it with LoginThrottle (src/security/loginThrottle.ts).
 */
export async function authenticateUser(
  rt: Runtime,
  username: string,
  password: string,
): Promise<UserState | undefined> {
  const user = findUserByUsername(rt, username);
  const ok = await verifyPassword(password, user?.passwordHash);
  return ok && user && !user.disabled ? user : undefined;
}
