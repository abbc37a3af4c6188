import {
  SECURITY_EVENTS_KEPT,
  securityEventsProjection,
  type SecurityEntry,
} from '../../../projections/securityEvents.js';
import type { Views } from './views.js';

interface SecurityEventFilter {
  type?: string;
  clientId?: string;
  sub?: string;
  /** Recorded at or after this. */
  since?: Date;
  /** Ledger position: only events after it (the cursor of the previous page). */
  after?: bigint;
}

/**
 * A page of the latest security events (at most SECURITY_EVENTS_KEPT are kept), oldest first, from the view: one
 * pass over at most that many entries, never the ledger.
 */
export function securityEventPage(
  views: Views,
  filter: SecurityEventFilter,
  first: number,
): { entries: SecurityEntry[]; hasNextPage: boolean } {
  const all = views(securityEventsProjection)?.entries ?? [];
  const from = Math.max(0, all.length - SECURITY_EVENTS_KEPT);
  const since = filter.since?.getTime();
  const entries: SecurityEntry[] = [];
  for (let i = from; i < all.length; i++) {
    const e = all[i];
    if (filter.after !== undefined && e.position <= filter.after) continue;
    if (filter.type !== undefined && e.type !== filter.type) continue;
    if (filter.clientId !== undefined && e.data.clientId !== filter.clientId) continue;
    if (filter.sub !== undefined && e.data.sub !== filter.sub) continue;
    if (since !== undefined && e.recordedAt.getTime() < since) continue;
    if (entries.length === first) return { entries, hasNextPage: true };
    entries.push(e);
  }
  return { entries, hasNextPage: false };
}
