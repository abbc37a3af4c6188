import type { HistoryQueries } from '../../../projections/historyQueries.js';
import type { IndexedToken } from '../../../projections/historyIndex.js';
import { grantStream } from '../../domain/grants/streams.js';
import type { TokenStatusValue } from '../../domain/tokens/status.js';
import type { EventStore } from '../../eventsourcing/eventStore.js';
import { statusAt, tokenHistory } from './history.js';

/**
 * An exchanged token's status at `at` as its chain makes it (RFC 8693): REVOKED once any token it was derived
 * from, up to the first, was revoked by then, or the grant the chain started in was; otherwise ACTIVE. Folded from
 * those tokens' and that grant's own events, so the answer does not wait for the exchanged token's own TokenRevoked
 * record (written after, and by whichever instance revoked).
 */
export async function chainStatusAt(
  store: Pick<EventStore, 'readStream'>,
  history: Pick<HistoryQueries, 'tokenByJti'>,
  token: IndexedToken,
  at: Date,
): Promise<TokenStatusValue> {
  for (let t: IndexedToken | undefined = token; t?.derivedFrom !== undefined;) {
    t = history.tokenByJti(t.derivedFrom);
    // An ID token is not in the index: the grant it belongs to answers for it below.
    if (!t) break;
    if (statusAt(await tokenHistory(store, t), t, at) === 'REVOKED') return 'REVOKED';
  }
  if (token.rootGrant !== undefined) {
    for (const e of await store.readStream(grantStream(token.rootGrant))) {
      if (e.recordedAt.getTime() > at.getTime()) break;
      if (e.type === 'GrantRevoked') return 'REVOKED';
    }
  }
  return 'ACTIVE';
}
