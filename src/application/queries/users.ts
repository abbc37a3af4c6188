import { usersProjection, type UserState } from '../../../projections/users.js';
import { normaliseUsername } from '../../domain/users/decide.js';
import type { Views } from './views.js';

export const userBySub = (views: Views, sub: string): UserState | undefined => views(usersProjection).bySub.get(sub);

/**
 * The user holding this username (compared normalised); disabled and erased ones included. `usernameKey`: the
 * name's keyed hash (usernameKeyer), which finds sealed registrations; first-release ones are found by the name.
 */
export function userByUsername(views: Views, username: string, usernameKey: string): UserState | undefined {
  const view = views(usersProjection);
  const sub = view.byUsernameKey.get(usernameKey) ?? view.byUsername.get(normaliseUsername(username));
  return sub === undefined ? undefined : view.bySub.get(sub);
}

/** Every user ever registered, in registration order. */
export const allUsers = (views: Views): IterableIterator<UserState> => views(usersProjection).bySub.values();

/** A disabled user's tokens stop working with them; an unknown subject is not "disabled". */
export const isUserDisabled = (views: Views, sub: string): boolean =>
  views(usersProjection).bySub.get(sub)?.disabled === true;
