import { refusalWithReasons } from '../refusal.js';
import {
  USERNAME_MAX_LENGTH,
  USERNAME_PATTERN,
  type PasswordHash,
  type UsernameClaimedEvent,
  type WrittenUserEvent,
} from './events.js';
import { isOperatorRole, OPERATOR_ROLES, type OperatorRole } from './roles.js';
import type { UsernameClaimState, UserStreamState } from './state.js';

/** The personal data a registration seals (see checkPersonalData). */
interface NewPersonalData {
  username: string;
  email?: string;
  emailVerified: boolean;
  name?: string;
}

export type UserCommand =
  /** `pii`: the personal data, checked (checkPersonalData) and sealed under the subject's key before deciding. */
  | {
      type: 'RegisterUser';
      sub: string;
      usernameKey: string;
      pii: string;
      emailVerified: boolean;
      passwordHash: PasswordHash;
      /** Operator roles held from the start: granted in the registration's own append. */
      roles?: readonly string[];
    }
  /** keepSessions: the user's sessions, grants and tokens survive the change (the default ends them). */
  | { type: 'ChangePassword'; sub: string; passwordHash: PasswordHash; keepSessions?: boolean }
  | { type: 'DisableUser'; sub: string }
  | { type: 'EnableUser'; sub: string }
  /** After the user's holdings were ended: the subject's key is destroyed once this is recorded. */
  | { type: 'EraseUser'; sub: string }
  | { type: 'GrantRole'; sub: string; role: string }
  | { type: 'RevokeRole'; sub: string; role: string };

/**
 * Decided on the `username-<usernameKey>` stream, before the user stream is written. The username itself
 * is only checked and named in a refusal: the event holds its keyed hash.
 */
export type UsernameCommand = { type: 'ClaimUsername'; username: string; usernameKey: string; sub: string };

/** A disabled user is refused access (RFC 6749 §4.1.2.1); the rest are requests an operator got wrong. */
const USER_REFUSAL = {
  user_exists: 'invalid_request',
  user_not_found: 'invalid_request',
  user_disabled: 'access_denied',
  invalid_user: 'invalid_request',
  user_erased: 'invalid_request',
  invalid_reason: 'invalid_request',
  unknown_role: 'invalid_request',
} as const;

export class UserCommandError extends refusalWithReasons('UserCommandError', USER_REFUSAL) {}

const USERNAME = new RegExp(USERNAME_PATTERN);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// ajv-formats' "email" (full mode, as the ledger validates the event schema), so the two never disagree.
const EMAIL =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The form logins compare: NFKC (so full-width ａｌｉｃｅ is alice), then lower case. */
export function normaliseUsername(raw: string): string {
  return raw.normalize('NFKC').toLowerCase();
}

/** The username as it will be registered (NFKC), or invalid_user. */
export function checkUsername(raw: string): string {
  const username = raw.normalize('NFKC');
  if (username.length < 1 || username.length > USERNAME_MAX_LENGTH || !USERNAME.test(username)) {
    throw new UserCommandError(
      'invalid_user',
      `username ${JSON.stringify(raw)} is invalid: expected 1–${USERNAME_MAX_LENGTH} characters from A–Z a–z ` +
        `0–9 . _ @ + -`,
    );
  }
  // What views show for an erased username: a user named so would be indistinguishable from one erased.
  if (normaliseUsername(username) === 'erased')
    throw new UserCommandError('invalid_user', 'username erased is invalid: it is the marker of erased data');
  // `users show <sub|username>` must never be ambiguous.
  if (UUID.test(username))
    throw new UserCommandError(
      'invalid_user',
      `username ${username} is invalid: it must not look like a user id (UUID)`,
    );
  return username;
}

/** The rules a registration's personal data meets, checked in clear before it is sealed; answers the username. */
export function checkPersonalData(c: NewPersonalData): string {
  const username = checkUsername(c.username);
  if (c.email !== undefined && (c.email.length > 254 || !EMAIL.test(c.email))) {
    throw new UserCommandError('invalid_user', `email ${JSON.stringify(c.email)} is not a valid address`);
  }
  if (c.emailVerified && c.email === undefined)
    throw new UserCommandError('invalid_user', 'email_verified needs an email');
  if (c.name !== undefined && (c.name.trim().length === 0 || c.name.length > 200 || CONTROL.test(c.name))) {
    throw new UserCommandError('invalid_user', 'name must be 1–200 characters without control characters');
  }
  return username;
}

/** One of the operator roles (src/domain/users/roles.ts), or unknown_role. */
export function checkRole(role: string): OperatorRole {
  if (!isOperatorRole(role))
    throw new UserCommandError(
      'unknown_role',
      `role ${JSON.stringify(role)} is unknown: expected ${OPERATOR_ROLES.join(' or ')}`,
    );
  return role;
}

export function decideUser(command: UserCommand, state: UserStreamState): WrittenUserEvent[] {
  if (command.type === 'RegisterUser') {
    if (state) throw new UserCommandError('user_exists', `user ${command.sub} already exists`);
    const { sub, usernameKey, pii, emailVerified, passwordHash } = command;
    const roles = [...new Set(command.roles ?? [])].map((role) => checkRole(role));
    return [
      { type: 'UserRegistered', data: { sub, usernameKey, pii, emailVerified, passwordHash } },
      ...roles.map((role): WrittenUserEvent => ({ type: 'RoleGranted', data: { sub, role } })),
    ];
  }
  if (command.type === 'GrantRole' || command.type === 'RevokeRole') checkRole(command.role);
  if (!state) throw new UserCommandError('user_not_found', `user ${command.sub} does not exist`);
  // Erasing twice changes nothing: the key is gone already (the caller destroys it again, harmlessly).
  if (command.type === 'EraseUser') {
    if (state.erased) return [];
    const erased: WrittenUserEvent = { type: 'UserErased', data: { sub: command.sub } };
    return state.disabled ? [erased] : [{ type: 'UserDisabled', data: { sub: command.sub } }, erased];
  }
  if (state.erased) throw new UserCommandError('user_erased', `user ${command.sub} is erased`);
  // Enabling an enabled user changes nothing, so it writes nothing.
  if (command.type === 'EnableUser') return state.disabled ? [{ type: 'UserEnabled', data: { sub: command.sub } }] : [];
  // Taking a role away never waits on the user's status: a disabled user may be left with fewer privileges.
  if (command.type === 'RevokeRole') {
    const role = checkRole(command.role);
    return state.roles.includes(role) ? [{ type: 'RoleRevoked', data: { sub: command.sub, role } }] : [];
  }
  if (state.disabled) throw new UserCommandError('user_disabled', `user ${state.username} is disabled`);
  switch (command.type) {
    case 'ChangePassword': {
      // As Keycloak and Auth0 do: whoever knew the old password is signed out everywhere, in the same
      // append as the change, so no crash can separate the two.
      const changed: WrittenUserEvent = {
        type: 'UserPasswordChanged',
        data: { sub: command.sub, passwordHash: command.passwordHash },
      };
      return command.keepSessions ? [changed] : [changed, { type: 'UserSessionsRevoked', data: { sub: command.sub } }];
    }
    case 'DisableUser':
      // UserDisabled itself ends every session, grant and token (see ENDS_EVERYTHING_OF_USER).
      return [{ type: 'UserDisabled', data: { sub: command.sub } }];
    case 'GrantRole': {
      // Granting a role held already changes nothing, so it writes nothing.
      const role = checkRole(command.role);
      return state.roles.includes(role) ? [] : [{ type: 'RoleGranted', data: { sub: command.sub, role } }];
    }
  }
}

/** A username is held by the first sub that claims it, for good (a disabled user keeps it). */
export function decideUsernameClaim(command: UsernameCommand, state: UsernameClaimState): UsernameClaimedEvent[] {
  const username = checkUsername(command.username);
  if (state) {
    if (state.sub === command.sub) return [];
    throw new UserCommandError('user_exists', `username ${username} is taken`);
  }
  return [{ type: 'UsernameClaimed', data: { usernameKey: command.usernameKey, sub: command.sub } }];
}
