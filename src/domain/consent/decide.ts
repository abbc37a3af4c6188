import type { Decider } from '../decider.js';
import type { AuthorizationGrantedEvent } from '../grants/events.js';
import type { ConsentDeniedEvent, ConsentGivenEvent, RequestContextData } from '../security/events.js';
import { addConsent, type Consented } from './consented.js';

type ConsentCommand =
  | {
      type: 'RecordConsent';
      sub: string;
      clientId: string;
      scope: string;
      /** The resource indicators (RFC 8707) of the request the user answered; none: no specific resource. */
      resources: readonly string[];
      /** The request the answer came in: recorded as ConsentGiven in the same append. */
      context?: RequestContextData;
    }
  /** The user refused: nothing is consented, the refusal is kept (with its request) for the audit. */
  | { type: 'DenyConsent'; sub: string; clientId: string; scope: string; context: RequestContextData };

type ConsentEvent = AuthorizationGrantedEvent | ConsentGivenEvent | ConsentDeniedEvent;

/** The scopes consented to so far, per resource (each answer adds to those before). */
type ConsentState = ReadonlyMap<string, ReadonlySet<string>>;

const copy = (state: ConsentState): Consented => new Map([...state].map(([r, scopes]) => [r, new Set(scopes)]));

export const consentDecider: Decider<ConsentCommand, ConsentState, ConsentEvent> = {
  initialState: () => new Map<string, Set<string>>(),
  // Only a grant adds consent; the security events beside it change nothing.
  evolve: (state, event) =>
    event.type === 'AuthorizationGranted' ? addConsent(copy(state), event.data.scope, event.data.resources) : state,
  decide: (command) => {
    const { sub, clientId, scope } = command;
    if (command.type === 'DenyConsent')
      return [{ type: 'ConsentDenied', data: { sub, clientId, scope, context: command.context } }];
    const { resources, context } = command;
    // The user answered the consent page: the answer is recorded as given, also when it repeats an earlier one.
    // Without resources the event is as it always was: consent for no specific resource.
    const granted: ConsentEvent = {
      type: 'AuthorizationGranted',
      data: { sub, clientId, scope, ...(resources.length > 0 ? { resources: [...resources] } : {}) },
    };
    return context ? [granted, { type: 'ConsentGiven', data: { sub, clientId, scope, context } }] : [granted];
  },
};
