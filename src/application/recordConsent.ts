import { consentDecider } from '../domain/consent/decide.js';
import { consentStream } from '../domain/consent/streams.js';
import { execute, writePorts } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Runtime } from '../runtime.js';

/** Remembers consent for these scopes (added to any given before). */
export async function recordConsent(
  rt: Runtime,
  sub: string,
  clientId: string,
  scope: string,
  ctx: CommandContext,
): Promise<void> {
  await execute(
    writePorts(rt),
    consentStream(sub, clientId),
    consentDecider,
    { type: 'RecordConsent', sub, clientId, scope },
    ctx,
  );
}
