import { tokenDecider } from '../domain/tokens/decide.js';
import { tokenStream } from '../domain/tokens/streams.js';
import { execute } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Ports } from './ports.js';

import { mintAccessToken, type AccessTokenRequest, type IssuedAccessToken } from './tokens.js';

/**
 * Mints an access token that belongs to no grant (client credentials), records it in the ledger by
 * hash, and returns once the active-token view holds it: the caller may introspect it at once.
 */
export async function issueAccessToken(
  ports: Pick<Ports, 'clock' | 'config' | 'events' | 'keys'>,
  req: AccessTokenRequest,
  ctx: CommandContext,
): Promise<IssuedAccessToken> {
  const issued = await mintAccessToken(ports, req);
  // A fresh UUIDv7 names a new stream: no need to read it first.
  await execute(
    ports.events,
    tokenStream(issued.claims.jti),
    tokenDecider,
    { type: 'IssueAccessToken', token: issued.claims },
    ctx,
    {
      fresh: true,
    },
  );
  return issued;
}
