import type { Decider } from '../decider.js';
import { refusalWithReasons } from '../refusal.js';
import type { PushedRequestEvent, ValidatedAuthorizationRequest } from './events.js';

type PushedRequestCommand =
  | {
      type: 'PushRequest';
      requestId: string;
      exp: number;
      requestObject: boolean;
      request: ValidatedAuthorizationRequest;
    }
  /** `now` in epoch seconds; `clientId` is the client_id /authorize was called with. */
  | { type: 'UsePushedRequest'; requestId: string; clientId: string; now: number };

type PushedRequestState =
  | {
      clientId: string;
      exp: number;
      requestObject: boolean;
      request: ValidatedAuthorizationRequest;
      status: 'pushed' | 'used' | 'expired';
    }
  | undefined;

type Reason = 'unknown' | 'used' | 'expired' | 'other_client' | 'exists';

/**
 * A request_uri that cannot be used. Every reason is invalid_request_uri (RFC 9101 §7) but `exists`, a second push on
 * the same 128-bit+ random id: a fault, not a request.
 */
export class PushedRequestRefused extends refusalWithReasons<Reason>('PushedRequestRefused', {
  unknown: 'invalid_request_uri',
  used: 'invalid_request_uri',
  expired: 'invalid_request_uri',
  other_client: 'invalid_request_uri',
  exists: 'server_error',
}) {}

function evolve(state: PushedRequestState, event: PushedRequestEvent): PushedRequestState {
  switch (event.type) {
    case 'PushedAuthorizationRequestReceived': {
      const { clientId, exp, requestObject, request } = event.data;
      return { clientId, exp, requestObject, request, status: 'pushed' };
    }
    case 'PushedAuthorizationRequestUsed':
      return state && { ...state, status: 'used' };
    case 'PushedAuthorizationRequestExpired':
      return state && { ...state, status: 'expired' };
  }
}

function decide(command: PushedRequestCommand, state: PushedRequestState): PushedRequestEvent[] {
  switch (command.type) {
    case 'PushRequest': {
      if (state) throw new PushedRequestRefused('exists', 'this request_uri was issued before');
      const { requestId, exp, requestObject, request } = command;
      return [
        {
          type: 'PushedAuthorizationRequestReceived',
          data: { requestId, clientId: request.clientId, exp, requestObject, request },
        },
      ];
    }
    case 'UsePushedRequest': {
      // RFC 9126 §4: a request_uri is bound to its client; another client learns nothing and uses nothing up.
      if (!state || state.clientId !== command.clientId)
        throw new PushedRequestRefused(state ? 'other_client' : 'unknown', 'request_uri is invalid');
      if (state.status === 'used') throw new PushedRequestRefused('used', 'request_uri was already used');
      if (state.status === 'expired') throw new PushedRequestRefused('expired', 'request_uri has expired');
      const { requestId, clientId } = command;
      if (command.now >= state.exp)
        return [{ type: 'PushedAuthorizationRequestExpired', data: { requestId, clientId, exp: state.exp } }];
      return [{ type: 'PushedAuthorizationRequestUsed', data: { requestId, clientId } }];
    }
  }
}

/** The life of one `par-<hash>` stream: pushed, then used once or found expired. */
export const pushedRequestDecider: Decider<PushedRequestCommand, PushedRequestState, PushedRequestEvent> = {
  initialState: () => undefined,
  evolve,
  decide,
};

/** What a `par-<hash>` stream's events add up to. */
export const pushedRequestState = (events: PushedRequestEvent[]): PushedRequestState =>
  events.reduce(evolve, undefined);
