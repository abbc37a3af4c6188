import type { Decider } from '../decider.js';
import { decideUser, decideUsernameClaim, type UserCommand, type UsernameCommand } from './decide.js';
import type { UserEvent, UsernameClaimedEvent } from './events.js';
import { evolveUser, evolveUsernameClaim } from './evolve.js';
import type { UsernameClaimState, UserStreamState } from './state.js';

export const userDecider: Decider<UserCommand, UserStreamState, UserEvent> = {
  initialState: () => undefined,
  evolve: (state, event) => evolveUser(state, event),
  decide: decideUser,
};

export const usernameDecider: Decider<UsernameCommand, UsernameClaimState, UsernameClaimedEvent> = {
  initialState: () => undefined,
  evolve: evolveUsernameClaim,
  decide: decideUsernameClaim,
};
