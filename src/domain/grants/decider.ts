import type { Decider } from '../decider.js';
import { decideGrant, type GrantCommand } from './decide.js';
import { evolveGrant, type GrantEvent } from './evolve.js';
import { initialGrant, type GrantState } from './state.js';

export const grantDecider: Decider<GrantCommand, GrantState, GrantEvent> = {
  initialState: initialGrant,
  evolve: evolveGrant,
  decide: decideGrant,
};
