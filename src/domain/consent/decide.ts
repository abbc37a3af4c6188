import type { Decider } from '../decider.js';
import type { AuthorizationGrantedEvent } from '../grants/events.js';

type ConsentCommand = { type: 'RecordConsent'; sub: string; clientId: string; scope: string };

/** The scopes consented to so far (each answer adds to those before). */
type ConsentState = ReadonlySet<string>;

export const consentDecider: Decider<ConsentCommand, ConsentState, AuthorizationGrantedEvent> = {
  initialState: () => new Set<string>(),
  evolve: (state, event) => new Set([...state, ...event.data.scope.split(' ')]),
  // The user answered the consent page: the answer is recorded as given, also when it repeats an earlier one.
  decide: ({ sub, clientId, scope }) => [{ type: 'AuthorizationGranted', data: { sub, clientId, scope } }],
};
