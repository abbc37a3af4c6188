import { v7 as uuidv7 } from 'uuid';
import {
  checkUsername,
  decideUser,
  normaliseUsername,
  UserCommandError,
  type UserCommand,
} from '../domain/users/decide.js';
import { userDecider, usernameDecider } from '../domain/users/decider.js';
import { ENDS_EVERYTHING_OF_USER, type UserEvent } from '../domain/users/events.js';
import type { UserState } from '../domain/users/state.js';
import { usernameStream, userStream } from '../domain/users/streams.js';
import { execute, writePorts } from './execute.js';
import type { CommandContext } from '../ledger/ledger.js';
import { checkPasswordPolicy, hashPassword, verifyPassword } from '../oauth/passwords.js';
import type { Runtime } from '../runtime.js';
import { usersProjection } from '../../projections/users.js';
import { causeIn, revokeAllFor } from './revokeAllFor.js';

export interface NewUser {
  username: string;
  password: string;
  email?: string;
  name?: string;
  emailVerified?: boolean;
}

/** The one path for user-stream changes; returns once the users view has them. */
export async function handleUserCommand(rt: Runtime, command: UserCommand, ctx: CommandContext): Promise<UserEvent[]> {
  const { events } = await execute(writePorts(rt), userStream(command.sub), userDecider, command, ctx);
  return events;
}

function viewed(rt: Runtime, sub: string): UserState {
  const user = rt.runner.view(usersProjection).bySub.get(sub);
  if (!user) throw new UserCommandError('user_not_found', `user ${sub} does not exist`);
  return user;
}

/**
 * Registers a user under a new UUIDv7 sub. The username is claimed first (its own stream, expected
 * `no_stream`), so two instances registering the same name at once cannot both succeed: the loser's
 * append fails with ConcurrencyError, its decision is retried on the fresh claim and refused.
 */
export async function registerUser(rt: Runtime, input: NewUser, ctx: CommandContext): Promise<UserState> {
  const username = checkUsername(input.username);
  checkPasswordPolicy(input.password);
  // Cheap refusal before the slow hash; the claim below is what actually guarantees uniqueness.
  if (findUserByUsername(rt, username)) throw new UserCommandError('user_exists', `username ${username} is taken`);
  const sub = uuidv7();
  const command: UserCommand = {
    type: 'RegisterUser',
    sub,
    username,
    ...(input.email !== undefined ? { email: input.email } : {}),
    emailVerified: input.emailVerified ?? false,
    ...(input.name !== undefined ? { name: input.name } : {}),
    passwordHash: await hashPassword(input.password),
  };
  // Every rule checked before the name is claimed: a claim is for good, and must not be spent on a refusal.
  decideUser(command, undefined);
  await execute(
    writePorts(rt),
    usernameStream(username),
    usernameDecider,
    { type: 'ClaimUsername', username, sub },
    ctx,
  );
  await handleUserCommand(rt, command, ctx);
  return viewed(rt, sub);
}

/**
 * Sets a new password. Unless `keepSessions`, the user is signed out everywhere in the same append
 * (UserSessionsRevoked): sessions end, grants and their tokens are revoked, as Keycloak and Auth0 do.
 */
export async function changePassword(
  rt: Runtime,
  sub: string,
  password: string,
  ctx: CommandContext,
  options: { keepSessions?: boolean } = {},
): Promise<UserState> {
  const passwordHash = await hashPassword(password);
  const events = await handleUserCommand(
    rt,
    { type: 'ChangePassword', sub, passwordHash, keepSessions: options.keepSessions === true },
    ctx,
  );
  if (events.some((e) => e.type === 'UserSessionsRevoked'))
    await recordUserRevocations(rt, sub, 'password changed', ctx);
  return viewed(rt, sub);
}

/** Disables a user: no more sign-ins, and every session, grant and token they hold ends. */
export async function disableUser(rt: Runtime, sub: string, ctx: CommandContext): Promise<UserState> {
  await handleUserCommand(rt, { type: 'DisableUser', sub }, ctx);
  await recordUserRevocations(rt, sub, 'user disabled', ctx);
  return viewed(rt, sub);
}

/** Sign-ins work again; what the disabling ended stays ended (sign in anew for new tokens). */
export async function enableUser(rt: Runtime, sub: string, ctx: CommandContext): Promise<UserState> {
  await handleUserCommand(rt, { type: 'EnableUser', sub }, ctx);
  return viewed(rt, sub);
}

/** The per-grant and per-session records, caused by the user event just written. */
async function recordUserRevocations(rt: Runtime, sub: string, reason: string, ctx: CommandContext): Promise<void> {
  const cause = await causeIn(rt, userStream(sub), ENDS_EVERYTHING_OF_USER);
  await revokeAllFor(rt, { subject: sub }, reason, { ...ctx, causationId: cause ?? ctx.causationId ?? null });
}

/** The user holding this username (compared normalised), from the users view; disabled ones included. */
export function findUserByUsername(rt: Runtime, username: string): UserState | undefined {
  const view = rt.runner.view(usersProjection);
  const sub = view.byUsername.get(normaliseUsername(username));
  return sub === undefined ? undefined : view.bySub.get(sub);
}

export function findUserBySub(rt: Runtime, sub: string): UserState | undefined {
  return rt.runner.view(usersProjection).bySub.get(sub);
}

/**
 * The active user whose username and password match, else undefined. Costs one scrypt whether the
 * user exists, is disabled or not (DUMMY_HASH stands in), so the answer's timing names no account.
 * Pair it with LoginThrottle (src/oauth/loginThrottle.ts).
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
