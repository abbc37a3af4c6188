import type { UserEvent, UsernameClaimedEvent } from './events.js';
import { erasedProfile, userProfile, type UsernameClaimState, type UserStreamState } from './state.js';

/** `at` is the event's recorded time, in ms. */
export function evolveUser(state: UserStreamState, event: UserEvent, at = 0): UserStreamState {
  switch (event.type) {
    case 'UserRegistered':
      return {
        ...userProfile(event.data),
        ...(event.data.usernameKey !== undefined ? { usernameKey: event.data.usernameKey } : {}),
        disabled: false,
        erased: false,
        roles: [],
        revocations: 0,
        createdAt: at,
        updatedAt: at,
      };
    case 'UserPasswordChanged':
      return state && { ...state, passwordHash: event.data.passwordHash, updatedAt: at };
    case 'UserDisabled':
      return state && { ...state, disabled: true, revocations: state.revocations + 1, updatedAt: at };
    case 'UserEnabled':
      return state && { ...state, disabled: false, updatedAt: at };
    case 'UserSessionsRevoked':
      // No profile change, so updatedAt (OIDC updated_at) stays.
      return state && { ...state, revocations: state.revocations + 1 };
    case 'RoleGranted':
      // Sorted, so that two users holding the same roles show them alike; no profile change, updatedAt stays.
      return (
        state && { ...state, roles: [...state.roles.filter((r) => r !== event.data.role), event.data.role].sort() }
      );
    case 'RoleRevoked':
      return state && { ...state, roles: state.roles.filter((r) => r !== event.data.role) };
    case 'UserErased':
      // In this process the profile may have been read before the key went: it is dropped here all the same.
      return state && { ...erasedProfile(state), disabled: true, erased: true, roles: [], updatedAt: at };
  }
}

export function evolveUsernameClaim(_state: UsernameClaimState, event: UsernameClaimedEvent): UsernameClaimState {
  return { sub: event.data.sub };
}
