import type { Decider } from '../decider.js';
import { decideUser, decideUsernameClaim, type UserCommand, type UsernameCommand } from './decide.js';
import type { UserEvent, UsernameClaimedEvent, WrittenUserEvent } from './events.js';
import { evolveUser, evolveUsernameClaim } from './evolve.js';
import type { UsernameClaimState, UserStreamState } from './state.js';

export const userDecider: Decider<UserCommand, UserStreamState, WrittenUserEvent> = {
  initialState: () => undefined,
  // What is folded was read through the store that opens sealed personal data (personalDataStore).
  evolve: (state, event) => evolveUser(state, event as unknown as UserEvent),
  decide: decideUser,
};

export const usernameDecider: Decider<UsernameCommand, UsernameClaimState, UsernameClaimedEvent> = {
  initialState: () => undefined,
  evolve: evolveUsernameClaim,
  decide: decideUsernameClaim,
};
