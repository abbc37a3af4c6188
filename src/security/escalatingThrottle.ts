import { isIP } from 'node:net';
import type { Block, ThrottleScope } from '../domain/throttle/blocks.js';

/**
 * The counting core shared by the login throttle and the client-authentication throttle: one tier
 * of failures per key, escalating into blocks. Plain Maps and the wall clock, no timers and no
 * promises, so that asking "is this key blocked?" on the issuance hot path is a Map lookup.
 */
export interface EscalationPolicy {
  /** Failures allowed in a window before any block. */
  freeFailures: number;
  windowSeconds: number;
  /** Block after the `freeFailures`-th failure; doubled for each further one. */
  baseDelaySeconds: number;
  maxDelaySeconds: number;
}

export type { Block } from '../domain/throttle/blocks.js';

/**
 * Blocks recorded in the ledger by any instance (the `throttles` view), and the way to record one.
 * Counting stays in each process; only the start (or extension) of a block is shared.
 */
export interface SharedBlocks {
  get(scope: ThrottleScope, tier: string, subject: string): Block | undefined;
  /**
   * Resolves once the block is durable (or its recording failed: a block is never worth a 500).
   * `correlationId`: the request whose failure started it.
   */
  publish(block: PublishedBlock, correlationId?: string): Promise<void>;
}

export interface PublishedBlock extends Block {
  scope: ThrottleScope;
  tier: string;
  /** Attempts this instance refused on the key since its previous block here: recorded in one event, not each. */
  refused?: number;
  /** What is counted: a client id, an address (IPv4 or IPv6 /64), a keyed username hash, or hash and address. */
  subject: string;
}

/** Cap + window at most ≈ 24.8 days (as when the counters were timers): every block ends within a bound. */
const MAX_SECONDS = 2_147_483;
const SWEEP_EVERY_MS = 60_000;

interface Entry {
  failures: number;
  /** When the count is forgotten: one window after the first failure, or after the block ends. */
  forgetAt: number;
  blockedUntil: number;
  /** Shared blocks that ended before this (a clear) are not adopted. */
  clearedAt: number;
}

/** Attempts under way on one key, and the requests waiting for one of them to end. */
interface InFlight {
  count: number;
  waiters: Array<() => void>;
}

/** An attempt admitted past the throttle: counted against its keys until released. */
export interface Reservation {
  /** Idempotent. Call it once the attempt's outcome has been counted (fail() or clear()). */
  release(): void;
}

/**
 * A reservation nobody released (a bug, an exception between admission and outcome) would hold its
 * key forever: it lapses after this, far beyond any slow hash.
 */
const RESERVATION_LAPSES_MS = 30_000;

export class Escalation {
  private readonly entries = new Map<string, Entry>();
  /** Attempts refused while the key was blocked, until the next block carries the count (then 0). */
  private readonly refusals = new Map<string, number>();
  private readonly inFlight = new Map<string, InFlight>();
  private sweptAt = 0;
  readonly windowMs: number;
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(
    readonly name: string,
    readonly policy: EscalationPolicy,
  ) {
    const { freeFailures: n, windowSeconds: w, baseDelaySeconds: base, maxDelaySeconds: max } = policy;
    if (!(Number.isInteger(n) && n >= 1 && w > 0 && base > 0 && max >= base && max + w <= MAX_SECONDS)) {
      throw new RangeError(
        `${name}: expected whole free failures ≥ 1, positive durations, a cap ≥ the first delay,` +
          ` cap + window ≤ 24 days`,
      );
    }
    this.windowMs = w * 1000;
    this.baseMs = base * 1000;
    this.maxMs = max * 1000;
  }

  /** Until when `key` is blocked here or by a shared block (epoch ms; ≤ now when it is not). */
  blockedUntil(key: string, shared?: Block): number {
    const local = this.entries.get(key)?.blockedUntil ?? 0;
    return shared && shared.until > local ? shared.until : local;
  }

  /**
   * Counts a failure. Returns the block it starts or extends, if any. `shared` is the latest block
   * another instance recorded: its count is adopted so that the escalation continues where that
   * instance left it, instead of granting a fresh allowance per instance.
   */
  fail(key: string, now: number, shared?: Block): (Block & { refused?: number }) | undefined {
    let e = this.entries.get(key);
    if (!e || e.forgetAt <= now)
      e = { failures: 0, forgetAt: now + this.windowMs, blockedUntil: 0, clearedAt: e?.clearedAt ?? 0 };
    if (shared && shared.until + this.windowMs > now && shared.until > e.clearedAt && shared.failures > e.failures) {
      e.failures = shared.failures;
      e.forgetAt = Math.max(e.forgetAt, shared.until + this.windowMs);
    }
    e.failures++;
    this.entries.set(key, e);
    this.sweep(now);
    const over = e.failures - this.policy.freeFailures;
    if (over < 0) return undefined;
    const delay = Math.min(this.baseMs * 2 ** over, this.maxMs);
    e.blockedUntil = now + delay;
    // Remember the count while blocked and for one window after, so the next failure escalates.
    e.forgetAt = Math.max(e.forgetAt, e.blockedUntil + this.windowMs);
    const refused = this.refusals.get(key);
    this.refusals.delete(key);
    return { until: e.blockedUntil, failures: e.failures, ...(refused !== undefined && { refused }) };
  }

  /** An attempt refused because `key` is blocked: counted for the key's next block event, never written alone. */
  refuse(key: string): void {
    // Bounded like the counts: a key is refused only while blocked, and swept with its entry.
    this.refusals.set(key, (this.refusals.get(key) ?? 0) + 1);
  }

  /**
   * How many attempts may be under way on `key` at `now` before the next block: the free failures
   * left, or one once blocks have started (the next failure blocks again), never more than
   * `maxInFlight`. Attempts already under way count against it: a parallel burst gets no more
   * guesses than the same attempts made one after the other.
   */
  private allowance(key: string, now: number, shared: Block | undefined, maxInFlight: number): number {
    const e = this.entries.get(key);
    let failures = e && e.forgetAt > now ? e.failures : 0;
    if (shared && shared.until + this.windowMs > now && shared.until > (e?.clearedAt ?? 0))
      failures = Math.max(failures, shared.failures);
    const left = failures < this.policy.freeFailures ? this.policy.freeFailures - failures : 1;
    return Math.min(left, maxInFlight);
  }

  /** Whether one more attempt on `key` may start now (the key is not blocked: ask blockedUntil first). */
  hasRoom(key: string, now: number, shared: Block | undefined, maxInFlight: number): boolean {
    return (this.inFlight.get(key)?.count ?? 0) < this.allowance(key, now, shared, maxInFlight);
  }

  /** Requests waiting for room on `key`. */
  waiting(key: string): number {
    return this.inFlight.get(key)?.waiters.length ?? 0;
  }

  /** Counts an attempt under way on `key` until the returned reservation is released. */
  reserve(key: string): Reservation {
    let f = this.inFlight.get(key);
    if (!f) this.inFlight.set(key, (f = { count: 0, waiters: [] }));
    f.count++;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      clearTimeout(lapse);
      this.end(key);
    };
    const lapse = setTimeout(release, RESERVATION_LAPSES_MS);
    lapse.unref();
    return { release };
  }

  /** Resolves when an attempt on `key` ends (or after `ms`): the caller then asks again. */
  waitForRoom(key: string, ms: number): Promise<void> {
    const f = this.inFlight.get(key);
    if (!f) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = f.waiters.indexOf(wake);
        if (i >= 0) f.waiters.splice(i, 1);
        resolve();
      }, ms);
      f.waiters.push(wake);
    });
  }

  private end(key: string): void {
    const f = this.inFlight.get(key);
    if (!f) return;
    f.count--;
    // Every waiter asks again, in arrival order; those without room queue up again in that order.
    const waiters = f.waiters.splice(0);
    if (f.count <= 0) this.inFlight.delete(key);
    for (const wake of waiters) wake();
  }

  /** Starts the key afresh, ignoring the blocks recorded before now. */
  clear(key: string, now: number): void {
    this.entries.set(key, { failures: 0, forgetAt: now + this.windowMs, blockedUntil: 0, clearedAt: now });
  }

  /** Forgotten counts leave the map, at most once a minute: memory follows recent failures only. */
  private sweep(now: number): void {
    if (now - this.sweptAt < SWEEP_EVERY_MS) return;
    this.sweptAt = now;
    for (const [key, e] of this.entries) if (e.forgetAt <= now) this.entries.delete(key);
    for (const key of this.refusals.keys()) if (!this.entries.has(key)) this.refusals.delete(key);
  }
}

/** Exemptions that end: an (id, address) pair is trusted until a time, forgotten after it. */
export class TrustList {
  // Two levels rather than a joined key: the success path then builds no string.
  private readonly until = new Map<string, Map<string, number>>();
  private sweptAt = 0;

  constructor(private readonly trustedMs: number) {}

  has(id: string, addr: string, now: number): boolean {
    return (this.until.get(id)?.get(addr) ?? 0) > now;
  }

  add(id: string, addr: string, now: number): void {
    let byAddr = this.until.get(id);
    const current = byAddr?.get(addr);
    // Refreshed at most once per tenth of the period: the success path rarely writes.
    if (current !== undefined && current - now > this.trustedMs * 0.9) return;
    if (!byAddr) this.until.set(id, (byAddr = new Map<string, number>()));
    byAddr.set(addr, now + this.trustedMs);
    if (now - this.sweptAt < SWEEP_EVERY_MS) return;
    this.sweptAt = now;
    for (const [i, m] of this.until) {
      for (const [a, t] of m) if (t <= now) m.delete(a);
      if (m.size === 0) this.until.delete(i);
    }
  }
}

/** One tier's key as an admission sees it: the escalation, the key, and the latest shared block on it. */
export interface TierKey {
  escalation: Escalation;
  key: string;
  shared: Block | undefined;
  /** Slow checks allowed under way on this key at once. */
  maxInFlight: number;
}

type Admission = { allowed: true; reservation: Reservation } | { allowed: false; retryAfterSeconds: number };

/** How long a request waits for an attempt under way on its key to end before it is refused. */
const ADMISSION_WAIT_MS = 5_000;
/** Requests waiting on one key beyond this are refused at once: waiting must not become a queue to flood. */
const ADMISSION_QUEUE = 64;

/**
 * Admits an attempt before its slow check (a password or client secret hash): refused while a tier
 * is blocked; reserved against every tier when each has room; otherwise it waits (at most
 * ADMISSION_WAIT_MS, behind at most ADMISSION_QUEUE others) for an attempt under way to be counted,
 * and asks again. `tiers` is read afresh each time: a block may have started meanwhile.
 */
export async function admit(tiers: () => TierKey[], waitMs = ADMISSION_WAIT_MS): Promise<Admission> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const now = Date.now();
    const keys = tiers();
    let until = 0;
    let full: TierKey | undefined;
    for (const t of keys) {
      const blocked = t.escalation.blockedUntil(t.key, t.shared);
      if (blocked > now) {
        until = Math.max(until, blocked);
        t.escalation.refuse(t.key);
      } else if (!full && !t.escalation.hasRoom(t.key, now, t.shared, t.maxInFlight)) full = t;
    }
    if (until > now) return { allowed: false, retryAfterSeconds: retryAfterSeconds(until, now) };
    if (!full) {
      const held = keys.map((t) => t.escalation.reserve(t.key));
      return { allowed: true, reservation: { release: () => held.forEach((r) => r.release()) } };
    }
    if (now >= deadline || full.escalation.waiting(full.key) >= ADMISSION_QUEUE)
      return { allowed: false, retryAfterSeconds: 1 };
    await full.escalation.waitForRoom(full.key, deadline - now);
  }
}

export const retryAfterSeconds = (until: number, now: number) => Math.max(1, Math.ceil((until - now) / 1000));

const ipKeys = new Map<string, string>();

/**
 * ipKey, remembered: parsing an IPv6 address costs microseconds, and every client authentication
 * asks. Bounded: the memo starts afresh past 10 000 addresses.
 */
export function addressKey(ip: string): string {
  let key = ipKeys.get(ip);
  if (key === undefined) {
    if (ipKeys.size >= 10_000) ipKeys.clear();
    key = ipKey(ip);
    ipKeys.set(ip, key);
  }
  return key;
}

/** The key an address is counted under: IPv4 as is, IPv6 by its /64. */
export function ipKey(ip: string): string {
  let a = ip.trim().toLowerCase();
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (mapped) return mapped[1];
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
