import { consentDecider } from '../domain/consent/decide.js';
import { consentStream } from '../domain/consent/streams.js';
import { execute } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Ports } from './ports.js';
import type { RequestContextData } from '../domain/security/events.js';

/**
 * Remembers consent for these scopes at these resources (none: no specific resource), added to any given before.
 * With the request's `context` (the consent page), ConsentGiven is recorded beside it, in the same append.
 */
export async function recordConsent(
  ports: Pick<Ports, 'events'>,
  sub: string,
  clientId: string,
  scope: string,
  resources: readonly string[],
  ctx: CommandContext,
  context?: RequestContextData,
): Promise<void> {
  await execute(
    ports.events,
    consentStream(sub, clientId),
    consentDecider,
    { type: 'RecordConsent', sub, clientId, scope, resources, ...(context && { context }) },
    ctx,
  );
}

/**
 * The user refused at the consent page. Kept in the stream of that user's consent to that client: a signed-in user
 * and a registered client, so no stream is named by anything a stranger chose. Nothing is read first.
 */
export async function recordConsentDenied(
  ports: Pick<Ports, 'events'>,
  sub: string,
  clientId: string,
  scope: string,
  ctx: CommandContext,
  context: RequestContextData,
): Promise<void> {
  await execute(
    ports.events,
    consentStream(sub, clientId),
    consentDecider,
    { type: 'DenyConsent', sub, clientId, scope, context },
    ctx,
    { unconditional: true },
  );
}
