import { Refusal } from '../../domain/refusal.js';
import { ACTIVITY_RETAIN_MINUTES, COUNTERS, type ActivityCounts } from '../../../projections/historyActivity.js';
import type { HistoryQueries } from '../../../projections/historyQueries.js';

/** The most buckets one answer holds: a day of minutes, or the whole 48 h window in buckets of two minutes or more. */
export const MAX_ACTIVITY_BUCKETS = 1440;
const MINUTE = 60_000;

interface ActivityRequest {
  since: Date;
  /** Default: now. */
  until?: Date;
  bucketSeconds: number;
  clientId?: string;
}

export type ActivityBucketCounts = ActivityCounts & { at: Date };

const refused = (reason: string, description: string) => new Refusal('invalid_request', description, { reason });

/** The minutes the request covers: from `since`'s minute up to and including `until`'s (now: the current one). */
function window(request: ActivityRequest, nowMs: number) {
  const from = Math.floor(request.since.getTime() / MINUTE);
  const to = Math.ceil((request.until ?? new Date(nowMs)).getTime() / MINUTE);
  const size = request.bucketSeconds / 60;
  return { from, to, size, buckets: Math.ceil((to - from) / size) };
}

/** How many buckets the request asks for, before it is checked (the complexity estimate reads it). */
export function activityBucketCount(request: ActivityRequest, nowMs: number): number {
  const { buckets } = window(request, nowMs);
  return Number.isFinite(buckets) ? Math.max(buckets, 0) : 0;
}

/**
 * Activity per bucket from the history index's table (projections/historyActivity.ts), never the ledger: one
 * indexed range read and one pass over the buckets. Buckets that begin before the 48 h the table keeps are left out
 * (the answer starts at the first kept one); buckets without events are there, with zeros.
 */
export function activityBuckets(
  history: Pick<HistoryQueries, 'activity'>,
  request: ActivityRequest,
  nowMs: number,
): ActivityBucketCounts[] {
  const { bucketSeconds } = request;
  if (!Number.isInteger(bucketSeconds) || bucketSeconds % 60 !== 0 || bucketSeconds < 60 || bucketSeconds > 86_400)
    throw refused('invalid_bucket', 'bucketSeconds must be a multiple of 60 from 60 to 86400');
  if (!((request.until?.getTime() ?? nowMs) > request.since.getTime()))
    throw refused('invalid_range', 'until must be later than since');
  const { from, to, size, buckets } = window(request, nowMs);
  if (buckets > MAX_ACTIVITY_BUCKETS)
    throw refused(
      'too_many_buckets',
      `${buckets} buckets asked for; at most ${MAX_ACTIVITY_BUCKETS} (a longer bucketSeconds or a shorter range)`,
    );
  const kept = Math.floor(nowMs / MINUTE) - ACTIVITY_RETAIN_MINUTES;
  const first = from >= kept ? 0 : Math.ceil((kept - from) / size);
  const rows = new Map(history.activity(request.clientId ?? '', from, to, size).map((r) => [r.minute, r]));
  const answer: ActivityBucketCounts[] = [];
  for (let i = first; i < buckets; i++) {
    const minute = from + i * size;
    const row = rows.get(minute);
    const bucket = { at: new Date(minute * MINUTE) } as ActivityBucketCounts;
    for (const c of COUNTERS) bucket[c] = row?.[c] ?? 0;
    answer.push(bucket);
  }
  return answer;
}
