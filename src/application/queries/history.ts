import { isTokenStream } from '../../domain/tokens/streams.js';
import { streamOf, type IndexedToken } from '../../../projections/historyIndex.js';
import { applyToTokenLife, statusOf, tokenLife, type TokenStatusValue } from '../../domain/tokens/status.js';
import type { EventStore, RecordedEvent } from '../../eventsourcing/eventStore.js';

/** The one read a token's history needs: a stream of the ledger. */
type StreamReader = Pick<EventStore, 'readStream'>;

const GRANT_WIDE = new Set(['GrantRevoked', 'RefreshTokenReuseDetected', 'AuthorizationCodeReuseDetected']);

/** Whether an event of the token's stream concerns this token (a grant stream holds many tokens). */
function concerns(e: RecordedEvent, jti: string): boolean {
  const d = e.data as { jti?: string; successorJti?: string };
  return d?.jti === jti || d?.successorJti === jti || GRANT_WIDE.has(e.type);
}

/** A token's history: its own stream (token-<jti>), or its events within its grant's stream. One stream read. */
export async function tokenHistory(
  store: StreamReader,
  token: Pick<IndexedToken, 'jti' | 'grantId' | 'stream'>,
): Promise<RecordedEvent[]> {
  const stream = streamOf(token);
  const events = await store.readStream(stream);
  return isTokenStream(stream) ? events : events.filter((e) => concerns(e, token.jti));
}

/**
 * The token's status at `at`, folded from its own events recorded at or before that moment: not yet
 * issued → null; revoked (directly, by its grant, or rotated out) → revoked; past exp → expired.
 */
export function statusAt(
  events: readonly RecordedEvent[],
  token: Pick<IndexedToken, 'jti' | 'grantId' | 'exp'>,
  at: Date,
): TokenStatusValue | null {
  const life = tokenLife(token.jti, token.grantId ?? null, token.exp);
  for (const e of events) {
    if (e.recordedAt.getTime() > at.getTime()) break;
    applyToTokenLife(life, e);
  }
  return statusOf(life, at.getTime() / 1000);
}
