import type { UserEvent, UsernameClaimedEvent } from './events.js';
import { userProfile, type UsernameClaimState, type UserStreamState } from './state.js';

/** `at` is the event's recorded time, in ms. */
export function evolveUser(state: UserStreamState, event: UserEvent, at = 0): UserStreamState {
  switch (event.type) {
    case 'UserRegistered':
      return { ...userProfile(event.data), disabled: false, revocations: 0, createdAt: at, updatedAt: at };
    case 'UserPasswordChanged':
      return state && { ...state, passwordHash: event.data.passwordHash, updatedAt: at };
    case 'UserDisabled':
      return state && { ...state, disabled: true, revocations: state.revocations + 1, updatedAt: at };
    case 'UserEnabled':
      return state && { ...state, disabled: false, updatedAt: at };
    case 'UserSessionsRevoked':
      // No profile change, so updatedAt (OIDC updated_at) stays.
      return state && { ...state, revocations: state.revocations + 1 };
  }
}

export function evolveUsernameClaim(_state: UsernameClaimState, event: UsernameClaimedEvent): UsernameClaimState {
  return { username: event.data.username, sub: event.data.sub };
}
