import type { PasswordHash } from './events.js';

export interface UserState {
  /** OIDC `sub`: stable, never reassigned. */
  sub: string;
  /** As registered (NFKC); compare with `normaliseUsername`. */
  username: string;
  email?: string;
  emailVerified: boolean;
  name?: string;
  passwordHash: PasswordHash;
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
