import { sha256 } from '../crypto/hash.js';
import { PushedRequestRefused, pushedRequestDecider, pushedRequestState } from '../domain/pushedRequests/decide.js';
import type { PushedRequestEvent, ValidatedAuthorizationRequest } from '../domain/pushedRequests/events.js';
import { pushedRequestStream } from '../domain/pushedRequests/streams.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { execute } from './execute.js';
import { epochSeconds, type Ports } from './ports.js';

interface PushedRequest {
  request: ValidatedAuthorizationRequest;
  /** The SHA-256 of the request_uri: the pushed request's id in the ledger. */
  requestId: string;
  requestObject: boolean;
}

/**
 * RFC 9126 §4: the pushed request a request_uri names, used up by this call. Throws PushedRequestRefused when it is
 * unknown, another client's, used or expired; an expired one is recorded as such first (its history ends there).
 */
export async function usePushedRequest(
  ports: Pick<Ports, 'events' | 'clock'>,
  requestUri: string,
  clientId: string,
  ctx: CommandContext,
): Promise<PushedRequest> {
  const requestId = sha256(requestUri);
  const stream = pushedRequestStream(requestId);
  const { events } = await execute(
    ports.events,
    stream,
    pushedRequestDecider,
    { type: 'UsePushedRequest', requestId, clientId, now: epochSeconds(ports.clock) },
    ctx,
    { waitForViews: false },
  );
  if (events[0]?.type === 'PushedAuthorizationRequestExpired')
    throw new PushedRequestRefused('expired', 'request_uri has expired');
  // The stream as it now stands (pushed, then used): the request it holds.
  const recorded = await ports.events.ledger.store.readStream(stream);
  const state = pushedRequestState(recorded as unknown as PushedRequestEvent[]);
  if (!state) throw new PushedRequestRefused('unknown', 'request_uri is invalid');
  return { request: state.request, requestId, requestObject: state.requestObject };
}
