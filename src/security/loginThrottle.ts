import { createHmac } from 'node:crypto';
import { normaliseUsername } from '../domain/users/decide.js';
import { sha256 } from '../crypto/hash.js';
import {
  addressKey,
  admit,
  Escalation,
  retryAfterSeconds,
  TrustList,
  type EscalationPolicy,
  type SharedBlocks,
  type TierKey,
} from './escalatingThrottle.js';

export { ipKey, type EscalationPolicy } from './escalatingThrottle.js';

/**
 * Failed-login limiting: slows password guessing without letting an attacker lock a victim out for
 * good. Three tiers, each counting failures only (a success costs nothing):
 *
 * | tier                  | free failures (setting)              | window  | then each further failure blocks for |
 * |-----------------------|--------------------------------------|---------|--------------------------------------|
 * | username + IP         | 5 (THROTTLE_LOGIN_FAILURES)          | 15 min  | 1 min, doubling, at most 15 min      |
 * | IP (all usernames)    | 100 (THROTTLE_IP_FAILURES)           | 1 h     | 15 min, doubling, at most 1 h        |
 * | username (all IPs)    | 10 (THROTTLE_ACCOUNT_FAILURES)       | 1 h     | 1 s, doubling, at most 15 min        |
 *
 * "Window": failures are counted in a window that opens at the first failure; once a tier starts
 * blocking, its count is kept until one window after the current block ends, so the delay keeps
 * growing while guessing goes on and is forgotten after a quiet window. No block is ever longer than
 * its cap: nothing here is permanent.
 *
 * Lock-out of a victim: the account-wide tier is the one an attacker can drive from anywhere. It is
 * capped at 15 min, and it does not apply to a (username, IP) pair that logged in successfully in the
 * last 7 days (`trustedSeconds`), so the owner signing in from a known address is not held back by
 * someone else's guesses; the owner on a new address waits at most 15 min.
 *
 * A success clears the (username, IP) tier. It leaves the account and IP tiers alone: an attacker
 * spreading guesses over many IPs must not get a fresh allowance each time the owner logs in.
 *
 * IPv6 addresses are counted per /64 (one subscriber's usual allocation); IPv4-mapped IPv6 as IPv4.
 * Usernames are counted normalised (as logins compare them) and keyed by a hash. When blocks are
 * shared through the ledger (`shared`), that hash is an HMAC under a key derived from the server's
 * secret: people type passwords into the username field, and a plain hash of a password is a
 * dictionary attack away from the password.
 *
 * Parallel guesses: attempt() admits a password check before its scrypt runs. Checks under way
 * count against every tier's allowance, so a burst of simultaneous posts gets exactly as many
 * checks as the same posts one after the other; at most 2 run at once per username (per pair and
 * account-wide; 8 per address), and the rest wait for them to be counted (at most 5 s, at most 64
 * waiting per key), then go ahead or are refused as blocked.
 *
 * Counting is per process; a block, once started, is recorded in the ledger (LoginThrottled) and
 * honoured by every instance (see src/security/clientAuthThrottle.ts for the reasoning and the bound
 * with several instances).
 */
interface LoginThrottleOptions {
  pair: EscalationPolicy;
  ip: EscalationPolicy;
  account: EscalationPolicy;
  /** How long a successful (username, IP) pair is exempt from the account-wide tier (≤ 24 days). */
  trustedSeconds: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  pair: { freeFailures: 5, windowSeconds: 15 * 60, baseDelaySeconds: 60, maxDelaySeconds: 15 * 60 },
  ip: { freeFailures: 100, windowSeconds: 60 * 60, baseDelaySeconds: 15 * 60, maxDelaySeconds: 60 * 60 },
  account: { freeFailures: 10, windowSeconds: 60 * 60, baseDelaySeconds: 1, maxDelaySeconds: 15 * 60 },
  trustedSeconds: 7 * 24 * 60 * 60,
};

type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** A password check that was admitted (with its answer), or the wait the throttle asks for instead. */
type LoginAttempt<T> = { allowed: true; result: T | undefined } | { allowed: false; retryAfterSeconds: number };

/** Slow checks under way at once per key: per username (pair, account) and per address. */
const IN_FLIGHT = { pair: 2, account: 2, ip: 8 } as const;

interface LoginThrottleSharing {
  blocks: SharedBlocks;
  /** Secret the username HMAC key is derived from (the server's key-encryption secret). */
  secret: string;
}

export class LoginThrottle {
  private readonly pair: Escalation;
  private readonly ip: Escalation;
  private readonly account: Escalation;
  private readonly trusted: TrustList;
  private readonly shared?: SharedBlocks;
  private readonly accountKey: (username: string) => string;

  constructor(options: Partial<LoginThrottleOptions> = {}, sharing?: LoginThrottleSharing) {
    const o = { ...DEFAULT_LOGIN_THROTTLE, ...options };
    if (!(o.trustedSeconds > 0 && o.trustedSeconds <= 2_147_483))
      throw new RangeError('login throttle: trustedSeconds must be positive and at most 24 days');
    this.trusted = new TrustList(o.trustedSeconds * 1000);
    this.pair = new Escalation('login throttle pair', o.pair);
    this.ip = new Escalation('login throttle ip', o.ip);
    this.account = new Escalation('login throttle account', o.account);
    this.shared = sharing?.blocks;
    if (sharing) {
      const key = createHmac('sha256', sharing.secret).update('token-ledger login throttle').digest();
      this.accountKey = (username) => createHmac('sha256', key).update(normaliseUsername(username)).digest('base64url');
    } else {
      this.accountKey = (username) => sha256(normaliseUsername(username));
    }
  }

  /** The keys an attempt is counted under: `account` (the keyed username hash) and the (username, address) `pair`. */
  keys(username: string, ip: string) {
    const account = this.accountKey(username);
    const addr = addressKey(ip);
    return { account, addr, pair: `${account} ${addr}` };
  }

  private seen(tier: string, subject: string) {
    return this.shared?.get('login', tier, subject);
  }

  /**
   * One login attempt: admitted (or refused) before `verify` runs the slow password check, then
   * counted as a failure when `verify` finds no user, as a success otherwise.
   */
  async attempt<T>(
    username: string,
    ip: string,
    verify: () => Promise<T | undefined>,
    correlationId?: string,
  ): Promise<LoginAttempt<T>> {
    const { account, addr, pair } = this.keys(username, ip);
    const tier = (name: keyof typeof IN_FLIGHT, escalation: Escalation, key: string): TierKey => ({
      escalation,
      key,
      shared: this.seen(name, key),
      maxInFlight: IN_FLIGHT[name],
    });
    const admission = await admit(() => {
      const tiers = [tier('pair', this.pair, pair), tier('ip', this.ip, addr)];
      if (!this.trusted.has(account, addr, Date.now())) tiers.push(tier('account', this.account, account));
      return tiers;
    });
    if (!admission.allowed) return admission;
    try {
      const result = await verify();
      if (result === undefined) {
        // Counted synchronously; the reservation ends before the block's durable recording is awaited.
        const recorded = this.recordFailure(username, ip, correlationId);
        admission.reservation.release();
        await recorded;
      } else {
        await this.recordSuccess(username, ip);
      }
      return { allowed: true, result };
    } finally {
      admission.reservation.release();
    }
  }

  /** Is this username and address blocked now, and for how long? (attempt() also admits.) */
  async check(username: string, ip: string): Promise<ThrottleDecision> {
    const now = Date.now();
    const { account, addr, pair } = this.keys(username, ip);
    const until = Math.max(
      this.pair.blockedUntil(pair, this.seen('pair', pair)),
      this.ip.blockedUntil(addr, this.seen('ip', addr)),
      this.trusted.has(account, addr, now) ? 0 : this.account.blockedUntil(account, this.seen('account', account)),
    );
    return until > now ? { allowed: false, retryAfterSeconds: retryAfterSeconds(until, now) } : { allowed: true };
  }

  /** After a wrong password, or a username that does not exist (both count the same). */
  async recordFailure(username: string, ip: string, correlationId?: string): Promise<void> {
    const now = Date.now();
    const { account, addr, pair } = this.keys(username, ip);
    const started: Array<Promise<void>> = [];
    for (const [tier, escalation, subject] of [
      ['pair', this.pair, pair],
      ['ip', this.ip, addr],
      ['account', this.account, account],
    ] as const) {
      const block = escalation.fail(subject, now, this.seen(tier, subject));
      if (block && this.shared)
        started.push(this.shared.publish({ scope: 'login', tier, subject, ...block }, correlationId));
    }
    await Promise.all(started);
  }

  /** After a correct password: the (username, IP) pair starts afresh and is trusted for a while. */
  async recordSuccess(username: string, ip: string): Promise<void> {
    const now = Date.now();
    const { account, addr, pair } = this.keys(username, ip);
    this.pair.clear(pair, now);
    this.trusted.add(account, addr, now);
  }
}
