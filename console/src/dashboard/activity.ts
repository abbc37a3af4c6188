import type { ActivityBucket } from './ActivityChart.js';

const MINUTE = 60_000;

/**
 * Every minute from `since` to `until`, with zeros where the server returned no bucket, so a quiet minute is drawn
 * as zero rather than a line jumping between busy ones.
 */
export function everyMinute(buckets: ActivityBucket[], since: number, until: number): ActivityBucket[] {
  const byMinute = new Map(buckets.map((b) => [Math.floor(Date.parse(b.at) / MINUTE), b]));
  const out: ActivityBucket[] = [];
  for (let m = Math.floor(since / MINUTE); m <= Math.floor(until / MINUTE); m++) {
    out.push(
      byMinute.get(m) ?? {
        at: new Date(m * MINUTE).toISOString(),
        issued: 0,
        refreshed: 0,
        revoked: 0,
        loginFailed: 0,
        clientAuthFailed: 0,
      },
    );
  }
  return out;
}

export const total = (buckets: ActivityBucket[], key: Exclude<keyof ActivityBucket, 'at'>) =>
  buckets.reduce((n, b) => n + b[key], 0);
