import { consentDecider } from '../domain/consent/decide.js';
import { consentStream } from '../domain/consent/streams.js';
import { execute } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Ports } from './ports.js';

/** Remembers consent for these scopes at these resources (none: no specific resource), added to any given before. */
export async function recordConsent(
  ports: Pick<Ports, 'events'>,
  sub: string,
  clientId: string,
  scope: string,
  resources: readonly string[],
  ctx: CommandContext,
): Promise<void> {
  await execute(
    ports.events,
    consentStream(sub, clientId),
    consentDecider,
    { type: 'RecordConsent', sub, clientId, scope, resources },
    ctx,
  );
}
