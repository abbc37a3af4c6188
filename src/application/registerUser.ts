import { v7 as uuidv7 } from 'uuid';
import { sealPersonalData } from '../crypto/personalData.js';
import {
  checkPersonalData,
  checkRole,
  decideUser,
  UserCommandError,
  type UserCommand,
} from '../domain/users/decide.js';
import { usernameDecider } from '../domain/users/decider.js';
import type { UserState } from '../domain/users/state.js';
import { legacyUsernameStream, usernameStream } from '../domain/users/streams.js';
import { execute } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { checkPasswordPolicy, hashPassword } from '../security/passwords.js';
import type { Ports } from './ports.js';
import { findUserByUsername, handleUserCommand, usernameKeyOf, viewed } from './users.js';

interface NewUser {
  username: string;
  password: string;
  email?: string;
  name?: string;
  emailVerified?: boolean;
  /** Operator roles (src/domain/users/roles.ts) held from the start, recorded in the registration's append. */
  roles?: readonly string[];
}

/**
 * Registers a user under a new UUIDv7 sub. The username is claimed first (its own stream, expected
 * `no_stream`), so two instances registering the same name at once cannot both succeed: the loser's
 * append fails with ConcurrencyError, its decision is retried on the fresh claim and refused.
 *
 * The personal data (username, email, name) is sealed under a key made for this subject, kept outside
 * the ledger (SubjectKeys), so that erasing the user destroys it; the claim holds the name's keyed hash.
 */
export async function registerUser(
  ports: Pick<Ports, 'events' | 'views' | 'keyEncryptionSecret' | 'subjectKeys'>,
  input: NewUser,
  ctx: CommandContext,
): Promise<UserState> {
  const emailVerified = input.emailVerified ?? false;
  const personal = {
    username: input.username,
    ...(input.email !== undefined ? { email: input.email } : {}),
    ...(input.name !== undefined ? { name: input.name } : {}),
  };
  // Every rule checked before the name is claimed: a claim is for good, and must not be spent on a refusal.
  const username = checkPersonalData({ ...personal, emailVerified });
  for (const role of input.roles ?? []) checkRole(role);
  checkPasswordPolicy(input.password);
  // Cheap refusal before the slow hash; the claim below is what actually guarantees uniqueness.
  if (findUserByUsername(ports, username)) throw new UserCommandError('user_exists', `username ${username} is taken`);
  // A name the first release claimed stays taken, even where the users view does not list it (yet).
  if ((await ports.events.ledger.store.readStream(legacyUsernameStream(username))).length > 0)
    throw new UserCommandError('user_exists', `username ${username} is taken`);
  const sub = uuidv7();
  const usernameKey = usernameKeyOf(ports.keyEncryptionSecret, username);
  const passwordHash = await hashPassword(input.password);
  // The key exists before any event names it, so every reader of the ledger finds it.
  const key = await ports.subjectKeys.obtain(sub);
  const pii = sealPersonalData(key, sub, { ...personal, username });
  const command: UserCommand = {
    type: 'RegisterUser',
    sub,
    usernameKey,
    pii,
    emailVerified,
    passwordHash,
    ...(input.roles?.length ? { roles: input.roles } : {}),
  };
  decideUser(command, undefined);
  await execute(
    ports.events,
    usernameStream(usernameKey),
    usernameDecider,
    { type: 'ClaimUsername', username, usernameKey, sub },
    ctx,
  );
  await handleUserCommand(ports, command, ctx);
  return viewed(ports, sub);
}
