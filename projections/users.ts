import { normaliseUsername } from '../src/domain/users/decide.js';
import type { UserEvent } from '../src/domain/users/events.js';
import { evolveUser } from '../src/domain/users/evolve.js';
import type { UserState } from '../src/domain/users/state.js';
import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import { defineProjection } from './projection.js';

export type { UserState } from '../src/domain/users/state.js';

export interface UsersView {
  bySub: Map<string, UserState>;
  /** normalised username → sub */
  byUsername: Map<string, string>;
}

function apply(view: UsersView, event: RecordedEvent): UsersView {
  const e = event as unknown as UserEvent;
  const next = evolveUser(view.bySub.get(e.data.sub), e, event.recordedAt.getTime());
  if (!next) return view;
  view.bySub.set(next.sub, next);
  // The username claim makes a name unique, so a second sub for the same name cannot arrive; if a
  // damaged ledger held one anyway, the first registration keeps the name.
  const key = normaliseUsername(next.username);
  if (!view.byUsername.has(key)) view.byUsername.set(key, next.sub);
  return view;
}

/** Every registered user with profile, password hash and status: feeds logins, the CLI and OIDC claims. */
export const usersProjection = defineProjection<UsersView>({
  name: 'users',
  version: 2,
  initialState: () => ({ bySub: new Map(), byUsername: new Map() }),
  on: {
    UserRegistered: apply,
    UserPasswordChanged: apply,
    UserDisabled: apply,
    UserEnabled: apply,
    UserSessionsRevoked: apply,
  },
});
