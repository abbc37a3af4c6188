import { UserCommandError, type UserCommand } from '../domain/users/decide.js';
import { userDecider } from '../domain/users/decider.js';
import { ENDS_EVERYTHING_OF_USER, type WrittenUserEvent } from '../domain/users/events.js';
import { usernameKeyer } from '../crypto/personalData.js';
import type { UserState } from '../domain/users/state.js';
import { userStream } from '../domain/users/streams.js';
import { execute } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { verifyPassword } from '../security/passwords.js';
import type { Ports } from './ports.js';
import { userBySub, userByUsername } from './queries/users.js';
import { revokeAllCausedBy } from './revokeAllFor.js';

/** The one path for user-stream changes; returns once the users view has them. */
export async function handleUserCommand(
  ports: Pick<Ports, 'events'>,
  command: UserCommand,
  ctx: CommandContext,
): Promise<WrittenUserEvent[]> {
  const { events } = await execute(ports.events, userStream(command.sub), userDecider, command, ctx);
  return events;
}

/** The user as the users view holds it after a change. */
export function viewed(ports: Pick<Ports, 'views'>, sub: string): UserState {
  const user = userBySub(ports.views, sub);
  if (!user) throw new UserCommandError('user_not_found', `user ${sub} does not exist`);
  return user;
}

/** The per-grant and per-session records, caused by the user event just written. */
export async function recordUserRevocations(
  ports: Pick<Ports, 'cache' | 'clock' | 'events' | 'history' | 'settleHistory' | 'views'>,
  sub: string,
  reason: string,
  ctx: CommandContext,
): Promise<void> {
  await revokeAllCausedBy(ports, { subject: sub }, reason, ctx, {
    stream: userStream(sub),
    types: ENDS_EVERYTHING_OF_USER,
  });
}

const keyers = new Map<string, (username: string) => string>();

/** The username's keyed hash under this secret (the key derived once per secret). */
export function usernameKeyOf(secret: string, username: string): string {
  let keyer = keyers.get(secret);
  if (!keyer) keyers.set(secret, (keyer = usernameKeyer(secret)));
  return keyer(username);
}

/** The user holding this username (compared normalised), from the users view; disabled and erased ones included. */
export function findUserByUsername(
  ports: Pick<Ports, 'views' | 'keyEncryptionSecret'>,
  username: string,
): UserState | undefined {
  return userByUsername(ports.views, username, usernameKeyOf(ports.keyEncryptionSecret, username));
}

export function findUserBySub(ports: Pick<Ports, 'views'>, sub: string): UserState | undefined {
  return userBySub(ports.views, sub);
}

/**
 * The active user whose username and password match, else undefined. Costs one scrypt whether the
 * user exists, is disabled or not (DUMMY_HASH stands in), so the answer's timing names no account.
 * Pair it with LoginThrottle (src/security/loginThrottle.ts).
 */
export async function authenticateUser(
  ports: Pick<Ports, 'views' | 'keyEncryptionSecret'>,
  username: string,
  password: string,
): Promise<UserState | undefined> {
  const checked = await checkLogin(ports, username, password);
  return 'user' in checked ? checked.user : undefined;
}

/** Why a login failed, for the security events: a known account by its sub, an unknown one by nothing at all. */
export type LoginFailure = { reason: 'unknown_user' } | { reason: 'invalid_password' | 'disabled_user'; sub: string };

/** authenticateUser, telling why it failed (the caller answers every failure alike). Same single scrypt. */
export async function checkLogin(
  ports: Pick<Ports, 'views' | 'keyEncryptionSecret'>,
  username: string,
  password: string,
): Promise<{ user: UserState } | LoginFailure> {
  const user = findUserByUsername(ports, username);
  const ok = await verifyPassword(password, user?.passwordHash);
  if (!user) return { reason: 'unknown_user' };
  if (!ok) return { reason: 'invalid_password', sub: user.sub };
  return user.disabled ? { reason: 'disabled_user', sub: user.sub } : { user };
}
