import { randomBytes } from 'node:crypto';
import { sha256 } from '../crypto/hash.js';
import { pushedRequestDecider } from '../domain/pushedRequests/decide.js';
import type { ValidatedAuthorizationRequest } from '../domain/pushedRequests/events.js';
import { pushedRequestStream } from '../domain/pushedRequests/streams.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { PAR_LIFETIME_SECONDS, PAR_URN_PREFIX } from '../oauth/pushedAuthorization.js';
import { execute } from './execute.js';
import { epochSeconds, type Ports } from './ports.js';

/**
 * RFC 9126 §2.2: records a validated authorization request under a new request_uri (256 random bits) and returns it.
 * Only its hash is written: the URI is a bearer reference to the request.
 */
export async function pushAuthorizationRequest(
  ports: Pick<Ports, 'events' | 'clock'>,
  { request, requestObject }: { request: ValidatedAuthorizationRequest; requestObject: boolean },
  ctx: CommandContext,
): Promise<{ requestUri: string; expiresIn: number }> {
  const requestUri = `${PAR_URN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const requestId = sha256(requestUri);
  const exp = epochSeconds(ports.clock) + PAR_LIFETIME_SECONDS;
  // /authorize reads the stream itself, not a view: durable is enough.
  await execute(
    ports.events,
    pushedRequestStream(requestId),
    pushedRequestDecider,
    { type: 'PushRequest', requestId, exp, requestObject, request },
    ctx,
    { fresh: true, waitForViews: false },
  );
  return { requestUri, expiresIn: PAR_LIFETIME_SECONDS };
}
