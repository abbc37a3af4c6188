import { v7 as uuidv7 } from 'uuid';
import { checkUsername, decideUser, UserCommandError, type UserCommand } from '../domain/users/decide.js';
import { usernameDecider } from '../domain/users/decider.js';
import type { UserState } from '../domain/users/state.js';
import { usernameStream } from '../domain/users/streams.js';
import { execute } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { checkPasswordPolicy, hashPassword } from '../security/passwords.js';
import type { Ports } from './ports.js';
import { findUserByUsername, handleUserCommand, viewed } from './users.js';

interface NewUser {
  username: string;
  password: string;
  email?: string;
  name?: string;
  emailVerified?: boolean;
}

/**
 * Registers a user under a new UUIDv7 sub. The username is claimed first (its own stream, expected
 * `no_stream`), so two instances registering the same name at once cannot both succeed: the loser's
 * append fails with ConcurrencyError, its decision is retried on the fresh claim and refused.
 */
export async function registerUser(
  ports: Pick<Ports, 'events' | 'views'>,
  input: NewUser,
  ctx: CommandContext,
): Promise<UserState> {
  const username = checkUsername(input.username);
  checkPasswordPolicy(input.password);
  // Cheap refusal before the slow hash; the claim below is what actually guarantees uniqueness.
  if (findUserByUsername(ports, username)) throw new UserCommandError('user_exists', `username ${username} is taken`);
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
  await execute(ports.events, usernameStream(username), usernameDecider, { type: 'ClaimUsername', username, sub }, ctx);
  await handleUserCommand(ports, command, ctx);
  return viewed(ports, sub);
}
