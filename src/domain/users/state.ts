import type { UserRegisteredEvent } from './events.js';

/**
 * Who the user is, as registered: `sub` (OIDC, stable, never reassigned), `username` (as registered, NFKC; compare
 * with `normaliseUsername`), the optional profile claims and the password hash.
 */
export type UserProfile = UserRegisteredEvent['data'];

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

export interface UserState extends UserProfile {
  disabled: boolean;
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
export type UsernameClaimState = { username: string; sub: string } | undefined;
