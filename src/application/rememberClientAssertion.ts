import { assertionJtiHash } from '../domain/assertions/streams.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Ports } from './ports.js';
import { rememberOnce } from './rememberOnce.js';

/** Records a client assertion's jti; false when it was recorded before (a replay). */
export function rememberClientAssertion(
  ports: Pick<Ports, 'events'>,
  clientId: string,
  jti: string,
  exp: number,
  ctx: CommandContext,
): Promise<boolean> {
  const jtiHash = assertionJtiHash(clientId, jti);
  return rememberOnce(ports, { type: 'ClientAssertionUsed', data: { clientId, jtiHash, exp } }, ctx);
}
