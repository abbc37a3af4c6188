import { usersProjection, type UserState } from '../../../projections/users.js';
import type { Views } from './views.js';

export const userBySub = (views: Views, sub: string): UserState | undefined => views(usersProjection).bySub.get(sub);

/** Every user ever registered, in registration order. */
export const allUsers = (views: Views): IterableIterator<UserState> => views(usersProjection).bySub.values();

/** A disabled user's tokens stop working with them; an unknown subject is not "disabled". */
export const isUserDisabled = (views: Views, sub: string): boolean =>
  views(usersProjection).bySub.get(sub)?.disabled === true;
