import { addressKey, Escalation, retryAfterSeconds, type EscalationPolicy } from './escalatingThrottle.js';

/**
 * Failed user-code entries at /device (RFC 8628 §5.1): per address, and across all addresses. Checking a code is a
 * view lookup, synchronous, so a parallel burst is counted exactly as the same entries one after the other.
 *
 * The bound (docs/security.md): the all-address tier lets at most GLOBAL.freeFailures wrong codes through per
 * window, then blocks that double from 1 s to 60 s — about 15 more per 10 minutes. A code lives 10 minutes and the
 * space holds 20^8 ≈ 2.56 × 10^10 codes, so the chance that guessing hits one given code before it expires is at
 * most (1000 + 15) / 2.56 × 10^10 ≈ 4 × 10^-8 per instance: under 1 in 10^6 for up to 25 instances.
 */
const PER_ADDRESS: EscalationPolicy = {
  freeFailures: 10,
  windowSeconds: 15 * 60,
  baseDelaySeconds: 60,
  maxDelaySeconds: 60 * 60,
};
const GLOBAL: EscalationPolicy = {
  freeFailures: 1000,
  windowSeconds: 10 * 60,
  baseDelaySeconds: 1,
  maxDelaySeconds: 60,
};
const EVERYONE = 'all addresses';

export class UserCodeThrottle {
  private readonly address = new Escalation('device user codes per address', PER_ADDRESS);
  private readonly global = new Escalation('device user codes, all addresses', GLOBAL);

  /** Seconds to wait before another code may be tried from this address, or 0 when it may be tried now. */
  retryAfter(ip: string, nowMs: number): number {
    const until = Math.max(this.address.blockedUntil(addressKey(ip)), this.global.blockedUntil(EVERYONE));
    return until > nowMs ? retryAfterSeconds(until, nowMs) : 0;
  }

  failed(ip: string, nowMs: number): void {
    this.address.fail(addressKey(ip), nowMs);
    this.global.fail(EVERYONE, nowMs);
  }
}
