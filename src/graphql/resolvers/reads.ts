import { applyToTokenLife, statusOf, tokenLife } from '../../domain/tokens/status.js';
import type { RecordedEvent } from '../../ledger/eventStore.js';
import type { Runtime } from '../../runtime.js';
import { streamOf, tokenIndexProjection, type IndexedToken, type TokenIndexView } from '../../../projections/tokenIndex.js';
import { TokenStatus } from '../types.js';
import { tokenStatus } from '../mappers.js';

export const tokenIndex = (rt: Runtime): TokenIndexView => rt.runner.view(tokenIndexProjection);

const GRANT_WIDE = new Set(['GrantRevoked', 'RefreshTokenReuseDetected', 'AuthorizationCodeReuseDetected']);

/** Whether an event of the token's stream concerns this token (a grant stream holds many tokens). */
function concerns(e: RecordedEvent, jti: string): boolean {
  const d = e.data as { jti?: string; successorJti?: string };
  return d?.jti === jti || d?.successorJti === jti || GRANT_WIDE.has(e.type);
}

/** A token's history: its own stream (token-<jti>), or its events within its grant's stream. One stream read. */
export async function tokenHistory(rt: Runtime, token: Pick<IndexedToken, 'jti' | 'grantId' | 'stream'>): Promise<RecordedEvent[]> {
  const stream = streamOf(token);
  const events = await rt.store.readStream(stream);
  return stream.startsWith('token-') ? events : events.filter((e) => concerns(e, token.jti));
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

export interface TokenQuery {
  clientId?: string;
  subject?: string;
  grantId?: string;
  status?: TokenStatus;
  kind?: string;
  issuedAfter?: Date;
  issuedBefore?: Date;
}

/**
 * The narrowest index list for the filter (grant, client, subject, else all in issue order), then
 * the remaining conditions. Every list is in issue order, so the cursor is the issue sequence.
 */
export function selectTokens(view: TokenIndexView, filter: TokenQuery, afterSeq: number, limit: number, nowMs = Date.now()) {
  const base = filter.grantId !== undefined
    ? view.byGrant.get(filter.grantId) ?? []
    : filter.clientId !== undefined
      ? view.byClient.get(filter.clientId) ?? []
      : filter.subject !== undefined
        ? view.bySubject.get(filter.subject) ?? []
        : view.order;
  const after = filter.issuedAfter ? filter.issuedAfter.getTime() / 1000 : undefined;
  const before = filter.issuedBefore ? filter.issuedBefore.getTime() / 1000 : undefined;
  const matches = (t: IndexedToken) =>
    (filter.clientId === undefined || t.clientId === filter.clientId) &&
    (filter.subject === undefined || t.sub === filter.subject) &&
    (filter.grantId === undefined || t.grantId === filter.grantId) &&
    (filter.kind === undefined || t.kind === filter.kind) &&
    (after === undefined || t.iat > after) &&
    (before === undefined || t.iat < before) &&
    (filter.status === undefined || tokenStatus(t, nowMs) === filter.status);
  // Only the index's own key: the list is the answer, in issue order; no scan needed for the count.
  const residual = filter.kind !== undefined || after !== undefined || before !== undefined || filter.status !== undefined ||
    [filter.clientId, filter.subject, filter.grantId].filter((v) => v !== undefined).length > 1;
  if (!residual) {
    let lo = 0;
    let hi = base.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((view.tokens.get(base[mid]!)?.seq ?? 0) <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    const page = base.slice(lo, lo + limit).map((jti) => view.tokens.get(jti)!).filter(Boolean);
    return { page, total: base.length, hasNextPage: lo + limit < base.length };
  }
  const page: IndexedToken[] = [];
  let total = 0;
  let hasNextPage = false;
  for (const jti of base) {
    const t = view.tokens.get(jti);
    if (!t || !matches(t)) continue;
    total++;
    if (t.seq <= afterSeq) continue;
    if (page.length < limit) page.push(t);
    else hasNextPage = true;
  }
  return { page, total, hasNextPage };
}
