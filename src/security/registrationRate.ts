import { OAuthError } from '../oauth/errors.js';
import { addressKey } from './escalatingThrottle.js';

const HOUR_MS = 3_600_000;
/** Addresses tracked at once: beyond it, those whose allowance is whole again (as if never seen) are dropped. */
const MAX_TRACKED = 100_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * REGISTRATION_RATE_PER_IP: registrations one address (IPv6 by its /64) may attempt per hour, as a token bucket of
 * that size refilled evenly over the hour. Taken synchronously before any awaited work, so parallel requests are
 * counted exactly as sequential ones. Per process: k instances allow k times the rate.
 */
export class RegistrationRate {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly perHour: number) {}

  /**
   * Counts one attempt from `ip` at `now` (ms); over the rate, 429 with Retry-After and nothing counted. `perHour`: the
   * rate in force now (a registration policy's), else the one this was made with.
   */
  take(ip: string, now: number, perHour = this.perHour): void {
    const key = addressKey(ip);
    const refill = perHour / HOUR_MS;
    const bucket = this.buckets.get(key);
    const tokens = bucket ? Math.min(perHour, bucket.tokens + (now - bucket.at) * refill) : perHour;
    if (tokens < 1) {
      const retryAfter = Math.max(1, Math.ceil(Math.ceil(((1 - tokens) * HOUR_MS) / perHour) / 1000));
      throw new OAuthError(
        429,
        'temporarily_unavailable',
        `too many registrations from this address; retry after ${retryAfter} seconds`,
        { 'retry-after': String(retryAfter) },
      );
    }
    if (!bucket && this.buckets.size >= MAX_TRACKED) this.forgetFull(now, perHour);
    this.buckets.set(key, { tokens: tokens - 1, at: now });
  }

  private forgetFull(now: number, perHour: number): void {
    const refill = perHour / HOUR_MS;
    for (const [key, b] of this.buckets) if (b.tokens + (now - b.at) * refill >= perHour) this.buckets.delete(key);
    // Every address is mid-hour: the oldest go (a Map iterates in insertion order).
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < MAX_TRACKED) break;
      this.buckets.delete(key);
    }
  }
}
