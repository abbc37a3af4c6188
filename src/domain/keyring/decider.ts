import type { Decider } from '../decider.js';
import { decideKeyring, type KeyringCommand } from './decide.js';
import type { KeyringEvent } from './events.js';
import { evolveKeyring } from './evolve.js';
import { initialKeyring, type KeyringState } from './state.js';

export const keyringDecider: Decider<KeyringCommand, KeyringState, KeyringEvent> = {
  initialState: initialKeyring,
  evolve: evolveKeyring,
  decide: decideKeyring,
};
