import type { Clock } from '../application/ports.js';

export interface CacheLimits {
  /** A document is fetched again no sooner than this, whatever its Cache-Control says (max-age=0, no-cache). */
  minSeconds: number;
  /** …and no later than this. */
  maxSeconds: number;
  /** Beyond this many URLs, the oldest entries go first. */
  maxEntries: number;
}

export const DEFAULT_CACHE_LIMITS: CacheLimits = { minSeconds: 30, maxSeconds: 86_400, maxEntries: 1000 };

/**
 * How long a document may be used without fetching it again, from its Cache-Control: max-age within the limits,
 * the minimum when it says nothing, no-store, no-cache or max-age=0 (a document that asks to be fetched on every use
 * would let anyone make this server fetch as often as they send requests).
 */
export function cacheSeconds(cacheControl: string | undefined, limits: CacheLimits): number {
  const directives = (cacheControl ?? '')
    .toLowerCase()
    .split(',')
    .map((d) => d.trim());
  const maxAge = directives.map((d) => /^max-age\s*=\s*"?(\d{1,10})"?$/.exec(d)).find((m) => m !== null);
  const seconds = directives.includes('no-store') || directives.includes('no-cache') || !maxAge ? 0 : Number(maxAge[1]);
  return Math.min(limits.maxSeconds, Math.max(limits.minSeconds, seconds));
}

/**
 * Which client_id URLs were fetched recently enough not to be fetched again (in this process). Only freshness is
 * kept: what the document said is in the ledger, which every instance reads the same.
 */
export class FreshDocuments {
  private readonly freshUntil = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: CacheLimits = DEFAULT_CACHE_LIMITS,
  ) {}

  isFresh(url: string): boolean {
    const until = this.freshUntil.get(url);
    if (until === undefined) return false;
    if (this.clock() < until) return true;
    this.freshUntil.delete(url);
    return false;
  }

  remember(url: string, cacheControl: string | undefined): void {
    this.freshUntil.delete(url);
    const seconds = cacheSeconds(cacheControl, this.limits);
    // Map order is insertion order: the first key is the entry written longest ago.
    while (this.freshUntil.size >= this.limits.maxEntries) this.freshUntil.delete(this.freshUntil.keys().next().value!);
    this.freshUntil.set(url, this.clock() + seconds * 1000);
  }

  forget(url: string): void {
    this.freshUntil.delete(url);
  }
}
