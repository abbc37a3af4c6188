import { applyToTokenLife, statusOf, tokenLife } from '../../domain/tokens/status.js';
import { isTokenStream } from '../../domain/tokens/streams.js';
import type { RecordedEvent } from '../../ledger/eventStore.js';
import type { Runtime } from '../../runtime.js';
import { streamOf, type IndexedToken } from '../../../projections/historyIndex.js';
import { TokenStatus } from '../types.js';
import { GraphQLError } from 'graphql';
import type { HistoryQueries } from '../../../projections/historyQueries.js';
import { WaitTimeoutError } from '../../ledger/waitTimeout.js';

/** The history index once it holds everything this instance's views do: an operator reads their own writes. */
export async function historyOf(rt: Runtime): Promise<HistoryQueries> {
  try {
    await rt.runner.settleDurable();
  } catch (err) {
    if (err instanceof WaitTimeoutError)
      throw new GraphQLError('the history index is catching up with the ledger; try again shortly', {
        extensions: { code: 'UNAVAILABLE' },
      });
    throw err;
  }
  return rt.history;
}

const GRANT_WIDE = new Set(['GrantRevoked', 'RefreshTokenReuseDetected', 'AuthorizationCodeReuseDetected']);

/** Whether an event of the token's stream concerns this token (a grant stream holds many tokens). */
function concerns(e: RecordedEvent, jti: string): boolean {
  const d = e.data as { jti?: string; successorJti?: string };
  return d?.jti === jti || d?.successorJti === jti || GRANT_WIDE.has(e.type);
}

/** A token's history: its own stream (token-<jti>), or its events within its grant's stream. One stream read. */
export async function tokenHistory(
  rt: Runtime,
  token: Pick<IndexedToken, 'jti' | 'grantId' | 'stream'>,
): Promise<RecordedEvent[]> {
  const stream = streamOf(token);
  const events = await rt.store.readStream(stream);
  return isTokenStream(stream) ? events : events.filter((e) => concerns(e, token.jti));
}

/**
 * The token's status at `at`, folded from its own events recorded at or before that moment: not yet
 * issued → null; revoked (directly, by its grant, or rotated out) → REVOKED; past exp → EXPIRED.
 */
export function statusAt(events: RecordedEvent[], token: IndexedToken, at: Date): TokenStatus | null {
  const life = tokenLife(token.jti, token.grantId ?? null, token.exp);
  for (const e of events) {
    if (e.recordedAt.getTime() > at.getTime()) break;
    applyToTokenLife(life, e);
  }
  const status = statusOf(life, at.getTime() / 1000);
  return status === null ? null : TokenStatus[status];
}
