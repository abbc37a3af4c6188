import type { Decider } from '../decider.js';
import { decideClient, type ClientCommand } from './decide.js';
import type { ClientEvent } from './events.js';
import { evolveClient } from './evolve.js';
import type { ClientLimits } from './metadataRules.js';
import type { ClientStreamState } from './state.js';

/** The limits come from the server's configuration, so the CLI and GraphQL refuse the same values. */
export const clientDecider = (limits: ClientLimits): Decider<ClientCommand, ClientStreamState, ClientEvent> => ({
  initialState: () => undefined,
  evolve: (state, event) => evolveClient(state, event),
  decide: (command, state) => decideClient(command, state, limits),
});
