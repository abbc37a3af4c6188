import type { UserRegisteredEvent } from './events.js';
import type { OperatorRole } from './roles.js';

/**
 * Who the user is, as registered (the sealed data opened): `sub` (OIDC, stable, never reassigned), `username`
 * (as registered, NFKC; compare with `normaliseUsername`), the optional profile claims and the password hash.
 */
type UserProfile = Omit<UserRegisteredEvent['data'], 'usernameKey'>;

/** The profile's fields in their recorded order, an optional claim left out rather than undefined. */
export function userProfile(p: UserProfile): UserProfile {
  const { sub, username, email, emailVerified, name, passwordHash } = p;
  return {
    sub,
    username,
    ...(email !== undefined ? { email } : {}),
    emailVerified,
    ...(name !== undefined ? { name } : {}),
    passwordHash,
  };
}

/** The marker every personal field reads once the subject's key is destroyed (see ERASED in the crypto module). */
const ERASED = 'erased';

/**
 * The profile with every personal field erased; what is not personal (sub, emailVerified, hash) stays. Each
 * field reads `erased`, present or not: a sealed event that no longer opens cannot tell which ones it held.
 */
export function erasedProfile<P extends UserProfile>(p: P): P {
  return { ...p, username: ERASED, email: ERASED, name: ERASED };
}

export interface UserState extends UserProfile {
  /** The keyed username hash that finds the user at login (absent for a first-release registration). */
  usernameKey?: string;
  disabled: boolean;
  /** The subject's key is destroyed: the personal fields read `erased`, and the user never signs in again. */
  erased: boolean;
  /** The operator roles held now (src/domain/users/roles.ts), sorted; tokens carry them only while they are held. */
  roles: OperatorRole[];
  /**
   * How many times everything the user held was ended (UserDisabled, UserSessionsRevoked): a token
   * request that saw one value before it wrote and another after knows it raced such an event.
   */
  revocations: number;
  /** ms since the epoch, from the events' recorded time. */
  createdAt: number;
  /** ms since the epoch of the last change; OIDC `updated_at` is this in seconds. */
  updatedAt: number;
}

/** The decider's view of one `user-<sub>` stream: absent until registered. */
export type UserStreamState = UserState | undefined;

/** The decider's view of one `username-<hash>` stream: who holds the name, if anyone. */
export type UsernameClaimState = { sub: string } | undefined;
