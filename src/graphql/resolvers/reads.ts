import { applyToTokenLife, statusOf, tokenLife } from '../../domain/tokens/status.js';
import type { RecordedEvent } from '../../ledger/eventStore.js';
import type { Runtime } from '../../runtime.js';
import {
  clientIdAt,
  expAt,
  grantKey,
  grantOfRow,
  iatAt,
  isRevokedAt,
  kindAt,
  rowsOfClient,
  rowsOfGrant,
  rowsOfSubject,
  streamOf,
  stringId,
  subjectIdAt,
  tokenAt,
  tokenCount,
  tokenIndexProjection,
  type IndexedToken,
  type TokenIndexView,
} from '../../../projections/tokenIndex.js';
import { TokenStatus } from '../types.js';

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
 * The narrowest index list for the filter (grant, client, subject, else every row in issue order),
 * then the remaining conditions, checked on the index's arrays: a token object is made only for a
 * row on the page. Every list is in issue order and a row number is its issue sequence, so the
 * cursor is the row number.
 */
export function selectTokens(view: TokenIndexView, filter: TokenQuery, afterSeq: number, limit: number, nowMs = Date.now()) {
  const base: Uint32Array | null = filter.grantId !== undefined
    ? rowsOfGrant(view, filter.grantId)
    : filter.clientId !== undefined
      ? rowsOfClient(view, filter.clientId)
      : filter.subject !== undefined
        ? rowsOfSubject(view, filter.subject)
        : null;
  const length = base ? base.length : tokenCount(view);
  const rowAt = base ? (i: number) => base[i]! : (i: number) => i;
  const after = filter.issuedAfter ? filter.issuedAfter.getTime() / 1000 : undefined;
  const before = filter.issuedBefore ? filter.issuedBefore.getTime() / 1000 : undefined;
  // Only the index's own key: the list is the answer, in issue order; no scan needed for the count.
  const residual = filter.kind !== undefined || after !== undefined || before !== undefined || filter.status !== undefined ||
    [filter.clientId, filter.subject, filter.grantId].filter((v) => v !== undefined).length > 1;
  if (!residual) {
    let lo = 0;
    let hi = length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (rowAt(mid) <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    const page: IndexedToken[] = [];
    for (let i = lo; i < Math.min(length, lo + limit); i++) page.push(tokenAt(view, rowAt(i)));
    return { page, total: length, hasNextPage: lo + limit < length };
  }
  const client = filter.clientId === undefined ? undefined : stringId(view, filter.clientId);
  const subject = filter.subject === undefined ? undefined : stringId(view, filter.subject);
  const grant = filter.grantId === undefined ? undefined : grantKey(view, filter.grantId);
  const statusOfRow = (row: number): TokenStatus =>
    isRevokedAt(view, row) ? TokenStatus.REVOKED : expAt(view, row) * 1000 <= nowMs ? TokenStatus.EXPIRED : TokenStatus.ACTIVE;
  const matches = (row: number) =>
    (client === undefined || clientIdAt(view, row) === client) &&
    (subject === undefined || subjectIdAt(view, row) === subject) &&
    (grant === undefined || grantOfRow(view, row) === grant) &&
    (filter.kind === undefined || kindAt(view, row) === filter.kind) &&
    (after === undefined || iatAt(view, row) > after) &&
    (before === undefined || iatAt(view, row) < before) &&
    (filter.status === undefined || statusOfRow(row) === filter.status);
  const page: IndexedToken[] = [];
  let total = 0;
  let hasNextPage = false;
  for (let i = 0; i < length; i++) {
    const row = rowAt(i);
    if (!matches(row)) continue;
    total++;
    if (row <= afterSeq) continue;
    if (page.length < limit) page.push(tokenAt(view, row));
    else hasNextPage = true;
  }
  return { page, total, hasNextPage };
}
