import { isIP } from 'node:net';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { normaliseUsername } from '../domain/users/decide.js';
import { sha256 } from '../tokens/hash.js';

/**
 * Failed-login limiting: slows password guessing without letting an attacker lock a victim out for
 * good. Three tiers, each counting failures only (a success costs nothing):
 *
 * | tier                  | free failures | window  | then each further failure blocks for          |
 * |-----------------------|---------------|---------|-----------------------------------------------|
 * | username + IP         | 5             | 15 min  | 1 min, doubling, at most 15 min               |
 * | IP (all usernames)    | 100           | 1 h     | 15 min, doubling, at most 1 h                 |
 * | username (all IPs)    | 10            | 1 h     | 1 s, doubling, at most 15 min                 |
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
 * Usernames are counted normalised (as logins compare them) and hashed (bounded keys).
 *
 * The counters live in this process's memory (rate-limiter-flexible's RateLimiterMemory): several
 * instances each keep their own, and a restart forgets them. check() and recordFailure() are separate
 * calls around the password check, so concurrent guesses already past check() are all counted but
 * not stopped: the blocks take effect from the next check.
 */
export interface EscalationPolicy {
  /** Failures allowed in a window before any block. */
  freeFailures: number;
  windowSeconds: number;
  /** Block after the `freeFailures`-th failure; doubled for each further one. */
  baseDelaySeconds: number;
  maxDelaySeconds: number;
}

export interface LoginThrottleOptions {
  pair: EscalationPolicy;
  ip: EscalationPolicy;
  account: EscalationPolicy;
  /** How long a successful (username, IP) pair is exempt from the account-wide tier (≤ 24 days: timers). */
  trustedSeconds: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  pair: { freeFailures: 5, windowSeconds: 15 * 60, baseDelaySeconds: 60, maxDelaySeconds: 15 * 60 },
  ip: { freeFailures: 100, windowSeconds: 60 * 60, baseDelaySeconds: 15 * 60, maxDelaySeconds: 60 * 60 },
  account: { freeFailures: 10, windowSeconds: 60 * 60, baseDelaySeconds: 1, maxDelaySeconds: 15 * 60 },
  trustedSeconds: 7 * 24 * 60 * 60,
};

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** One tier: a failure counter and an escalating block, both rate-limiter-flexible memory limiters. */
class Escalation {
  private readonly failures: RateLimiterMemory;
  private readonly blocks: RateLimiterMemory;

  constructor(
    name: string,
    private readonly policy: EscalationPolicy,
  ) {
    const { freeFailures: n, windowSeconds: w, baseDelaySeconds: base, maxDelaySeconds: max } = policy;
    // A duration of 0 means "never expires" to rate-limiter-flexible: refused, as is anything a timer cannot wait for.
    if (!(Number.isInteger(n) && n >= 1 && w > 0 && base > 0 && max >= base && max + w <= 2_147_483)) {
      throw new RangeError(`login throttle ${name}: expected whole free failures ≥ 1, positive durations, a cap ≥ the first delay, cap + window ≤ 24 days`);
    }
    this.failures = new RateLimiterMemory({ keyPrefix: `${name}-failures`, points: policy.freeFailures, duration: policy.windowSeconds });
    this.blocks = new RateLimiterMemory({ keyPrefix: `${name}-block`, points: 1, duration: policy.maxDelaySeconds });
  }

  /** Milliseconds until `key` may try again (0 when it may now). */
  async blockedFor(key: string): Promise<number> {
    const res = await this.blocks.get(key);
    return res && res.msBeforeNext > 0 ? res.msBeforeNext : 0;
  }

  async fail(key: string): Promise<void> {
    const { freeFailures, windowSeconds, baseDelaySeconds, maxDelaySeconds } = this.policy;
    const res = await this.failures.penalty(key, 1);
    const over = res.consumedPoints - freeFailures;
    if (over < 0) return;
    const delay = Math.min(baseDelaySeconds * 2 ** over, maxDelaySeconds);
    await this.blocks.block(key, delay);
    // Remember the count while blocked and for one window after, so the next failure escalates.
    const keep = delay + windowSeconds;
    if (res.msBeforeNext < keep * 1000) await this.failures.set(key, res.consumedPoints, keep);
  }

  async clear(key: string): Promise<void> {
    await this.failures.delete(key);
    await this.blocks.delete(key);
  }
}

/** The key an address is counted under: IPv4 as is, IPv6 by its /64. */
export function ipKey(ip: string): string {
  let a = ip.trim().toLowerCase();
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (mapped) return mapped[1]!;
  if (isIP(a) !== 6) return a;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) {
    const [b1, b2, b3, b4] = v4.slice(1).map(Number) as [number, number, number, number];
    a = `${a.slice(0, v4.index)}${((b1 << 8) | b2).toString(16)}:${((b3 << 8) | b4).toString(16)}`;
  }
  const halves = a.split('::');
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length > 1 ? new Array<string>(8 - head.length - tail.length).fill('0') : [];
  const groups = [...head, ...fill, ...tail].map((g) => parseInt(g, 16).toString(16));
  return `${groups.slice(0, 4).join(':')}::/64`;
}

const accountKey = (username: string) => sha256(normaliseUsername(username));

export class LoginThrottle {
  private readonly pair: Escalation;
  private readonly ip: Escalation;
  private readonly account: Escalation;
  private readonly trusted: RateLimiterMemory;
  private readonly trustedSeconds: number;

  constructor(options: Partial<LoginThrottleOptions> = {}) {
    const o = { ...DEFAULT_LOGIN_THROTTLE, ...options };
    // RateLimiterMemory expires keys with setTimeout, which cannot wait longer than 2^31 - 1 ms.
    if (!(o.trustedSeconds > 0 && o.trustedSeconds <= 2_147_483)) throw new RangeError('login throttle: trustedSeconds must be positive and at most 24 days');
    this.trustedSeconds = o.trustedSeconds;
    this.pair = new Escalation('login-pair', o.pair);
    this.ip = new Escalation('login-ip', o.ip);
    this.account = new Escalation('login-account', o.account);
    this.trusted = new RateLimiterMemory({ keyPrefix: 'login-trusted', points: 1, duration: o.trustedSeconds });
  }

  /** Before checking a password: may this attempt go ahead, or how long must it wait? */
  async check(username: string, ip: string): Promise<ThrottleDecision> {
    const account = accountKey(username);
    const addr = ipKey(ip);
    const pair = `${account}|${addr}`;
    const waits = await Promise.all([
      this.pair.blockedFor(pair),
      this.ip.blockedFor(addr),
      this.isTrusted(pair).then((trusted) => (trusted ? 0 : this.account.blockedFor(account))),
    ]);
    const ms = Math.max(...waits);
    return ms > 0 ? { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) } : { allowed: true };
  }

  private async isTrusted(pair: string): Promise<boolean> {
    const res = await this.trusted.get(pair);
    return res !== null && res.msBeforeNext > 0;
  }

  /** After a wrong password, or a username that does not exist (both count the same). */
  async recordFailure(username: string, ip: string): Promise<void> {
    const account = accountKey(username);
    const addr = ipKey(ip);
    await Promise.all([this.pair.fail(`${account}|${addr}`), this.ip.fail(addr), this.account.fail(account)]);
  }

  /** After a correct password: the (username, IP) pair starts afresh and is trusted for a while. */
  async recordSuccess(username: string, ip: string): Promise<void> {
    const pair = `${accountKey(username)}|${ipKey(ip)}`;
    await this.pair.clear(pair);
    await this.trusted.set(pair, 1, this.trustedSeconds);
  }
}
