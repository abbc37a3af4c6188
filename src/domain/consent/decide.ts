import type { Decider } from '../decider.js';
import type { AuthorizationGrantedEvent } from '../grants/events.js';
import { addConsent, type Consented } from './consented.js';

type ConsentCommand = {
  type: 'RecordConsent';
  sub: string;
  clientId: string;
  scope: string;
  /** The resource indicators (RFC 8707) of the request the user answered; none: no specific resource. */
  resources: readonly string[];
};

/** The scopes consented to so far, per resource (each answer adds to those before). */
type ConsentState = ReadonlyMap<string, ReadonlySet<string>>;

const copy = (state: ConsentState): Consented => new Map([...state].map(([r, scopes]) => [r, new Set(scopes)]));

export const consentDecider: Decider<ConsentCommand, ConsentState, AuthorizationGrantedEvent> = {
  initialState: () => new Map<string, Set<string>>(),
  evolve: (state, event) => addConsent(copy(state), event.data.scope, event.data.resources),
  // The user answered the consent page: the answer is recorded as given, also when it repeats an earlier one.
  // Without resources the event is as it always was: consent for no specific resource.
  decide: ({ sub, clientId, scope, resources }) => [
    {
      type: 'AuthorizationGranted',
      data: { sub, clientId, scope, ...(resources.length > 0 ? { resources: [...resources] } : {}) },
    },
  ],
};
