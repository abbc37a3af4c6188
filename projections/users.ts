import { normaliseUsername } from '../src/domain/users/decide.js';
import type { UserEvent } from '../src/domain/users/events.js';
import { evolveUser } from '../src/domain/users/evolve.js';
import type { UserState } from '../src/domain/users/state.js';
import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import { defineProjection } from './projection.js';

export type { UserState } from '../src/domain/users/state.js';

export interface UsersView {
  bySub: Map<string, UserState>;
  /** normalised username → sub, for first-release registrations (their username is in the event in clear) */
  byUsername: Map<string, string>;
  /** keyed username hash (UserRegistered v2's usernameKey) → sub: logins find sealed registrations by it */
  byUsernameKey: Map<string, string>;
}

function apply(view: UsersView, event: RecordedEvent): UsersView {
  const e = event as unknown as UserEvent;
  const next = evolveUser(view.bySub.get(e.data.sub), e, event.recordedAt.getTime());
  if (!next) return view;
  view.bySub.set(next.sub, next);
  if (e.type !== 'UserRegistered') return view;
  // The username claim makes a name unique, so a second sub for the same name cannot arrive; if a
  // damaged ledger held one anyway, the first registration keeps the name.
  const [index, key] =
    next.usernameKey !== undefined
      ? [view.byUsernameKey, next.usernameKey]
      : [view.byUsername, normaliseUsername(next.username)];
  if (!index.has(key)) index.set(key, next.sub);
  return view;
}

/** Every registered user with profile, password hash and status: feeds logins, the CLI and OIDC claims. */
export const usersProjection = defineProjection<UsersView>({
  name: 'users',
  version: 4,
  initialState: () => ({ bySub: new Map(), byUsername: new Map(), byUsernameKey: new Map() }),
  on: {
    UserRegistered: apply,
    UserPasswordChanged: apply,
    UserDisabled: apply,
    UserEnabled: apply,
    UserSessionsRevoked: apply,
    UserErased: apply,
    RoleGranted: apply,
    RoleRevoked: apply,
  },
});
