import {
  addressKey,
  admit,
  Escalation,
  retryAfterSeconds,
  TrustList,
  type Block,
  type Reservation,
  type SharedBlocks,
  type TierKey,
} from './escalatingThrottle.js';
import { OAuthError } from '../oauth/errors.js';

/**
 * Failed client authentication limiting at the token, introspection and revocation endpoints. Two
 * tiers, each counting failures only:
 *
 * | tier               | counts                                              | free failures (setting)          |
 * |--------------------|-----------------------------------------------------|----------------------------------|
 * | client id          | failures naming a registered, enabled client that   | 10 (THROTTLE_CLIENT_FAILURES)    |
 * |                    | authenticates with a credential (not a public one)  |                                  |
 * | IP (IPv6 per /64)  | every invalid_client from the address               | 100 (THROTTLE_IP_FAILURES)       |
 *
 * Then each further failure blocks the key for 1 s (THROTTLE_BASE_DELAY_SECONDS), doubling, at most
 * 15 min (THROTTLE_MAX_DELAY_SECONDS); the count is forgotten one hour (THROTTLE_WINDOW_SECONDS)
 * after the first failure or after the last block ends. A blocked request is answered 429 before
 * the secret is looked at: guessing stops, and the deliberately slow secret hash is not run.
 *
 * Lock-out guarantees. A client id tier is what an attacker can drive from anywhere, so:
 * - it never counts unknown or disabled ids (nothing to guess; and no attacker-chosen id reaches the
 *   ledger) nor public clients (no secret to guess; blocking one would lock out every browser using it);
 * - a (client id, IP) pair that authenticated successfully in the last 7 days
 *   (THROTTLE_TRUSTED_SECONDS) is exempt from it, so the real client at its usual address keeps
 *   working while its id is under attack from elsewhere; at a new address it waits at most the cap;
 * - every block ends (the cap is at most 10 days, 15 min by default) and a refused attempt is not counted, so an
 *   attacker keeps a key blocked only by failing again after each block.
 * The IP tier is never exempted: it is what bounds guessing from a trusted address. An attacker can
 * use it against a client only from the same address (/64): the same host or NAT.
 *
 * Shared across instances: counting stays in each process (a failure below the limit writes nothing,
 * and success costs two Map lookups), but the moment a failure starts or extends a block, the block
 * is recorded in the ledger (ClientAuthenticationThrottled) and the `throttles` view applies it on
 * every instance within the subscription lag (100 ms polling for the embedded file). An instance
 * that fails next adopts the recorded count, so the escalation continues instead of restarting per
 * instance. The alternative, a ledger write per failure, would let anyone make the ledger grow at
 * request rate; this way the ledger grows by at most one event per key per block, and auditors see
 * every lock-out. Trust is per instance (recording it would put a write on every success).
 *
 * Parallel guesses. A secret that needs the slow hash (one the operator chose: scrypt) is admitted
 * before the hash runs (admit()): checks under way count against each tier's allowance, at most 2
 * run at once per client id (8 per address), and the rest wait for them to be counted (at most
 * 5 s, at most 64 waiting per key), then go ahead or get the 429. So within one process a burst of
 * simultaneous wrong secrets gets exactly the guesses, and the hashes, that the same requests one
 * after the other would. Generated secrets (SHA-256) are checked synchronously and counted before
 * the next request is looked at: they need no admission.
 *
 * Several instances on one ledger: each counts its own failures, and a block reaches the others
 * within the subscription lag. With k instances an attacker gets at most k × the free failures
 * (plus what each instance admits within the lag) before the first block, and then, after each
 * block ends, at most k further guesses before the next one.
 */
export interface ClientThrottleSettings {
  clientFailures: number;
  ipFailures: number;
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  windowSeconds: number;
  trustedSeconds: number;
}

export const DEFAULT_CLIENT_THROTTLE: ClientThrottleSettings = {
  clientFailures: 10,
  ipFailures: 100,
  baseDelaySeconds: 1,
  maxDelaySeconds: 15 * 60,
  windowSeconds: 60 * 60,
  trustedSeconds: 7 * 24 * 60 * 60,
};

/** Which client a request named, as far as the throttle cares. */
export interface NamedClient {
  /** The id, when the request named one. */
  clientId: string | undefined;
  /** A registered, enabled client that authenticates with a credential: only these are counted per id. */
  guarded: boolean;
}

const tooManyFailures = (retryAfter: number) =>
  new OAuthError(
    429,
    'temporarily_unavailable',
    `too many failed client authentications; retry after ${retryAfter} second${retryAfter === 1 ? '' : 's'}`,
    {
      'retry-after': String(retryAfter),
    },
  );

/** Slow checks under way at once per key. */
const IN_FLIGHT = { client: 2, ip: 8 } as const;

export class ClientAuthThrottle {
  private readonly client: Escalation;
  private readonly ip: Escalation;
  private readonly trusted: TrustList;

  constructor(
    settings: ClientThrottleSettings = DEFAULT_CLIENT_THROTTLE,
    private readonly shared?: SharedBlocks,
  ) {
    const { baseDelaySeconds, maxDelaySeconds, windowSeconds } = settings;
    this.client = new Escalation('client authentication throttle (client id)', {
      freeFailures: settings.clientFailures,
      baseDelaySeconds,
      maxDelaySeconds,
      windowSeconds,
    });
    this.ip = new Escalation('client authentication throttle (IP)', {
      freeFailures: settings.ipFailures,
      baseDelaySeconds,
      maxDelaySeconds,
      windowSeconds,
    });
    if (!(settings.trustedSeconds > 0 && settings.trustedSeconds <= 2_147_483))
      throw new RangeError('client authentication throttle: trustedSeconds must be positive and at most 24 days');
    this.trusted = new TrustList(settings.trustedSeconds * 1000);
  }

  private seen(tier: 'client' | 'ip', subject: string): Block | undefined {
    return this.shared?.get('client', tier, subject);
  }

  /** Throws 429 (temporarily_unavailable, Retry-After) while the client id or the address is blocked. */
  check(named: NamedClient, ip: string, now = Date.now()): void {
    const addr = addressKey(ip);
    let until = this.ip.blockedUntil(addr, this.seen('ip', addr));
    if (until > now) this.ip.refuse(addr);
    const id = named.clientId;
    if (named.guarded && id !== undefined) {
      const client = this.client.blockedUntil(id, this.seen('client', id));
      // The trust list is consulted only when the id is blocked: the usual request does two lookups.
      if (client > now && !this.trusted.has(id, addr, now)) {
        this.client.refuse(id);
        until = Math.max(until, client);
      }
    }
    if (until > now) throw tooManyFailures(retryAfterSeconds(until, now));
  }

  /**
   * Before a slow secret check: reserves it against the address and the client id (unless this
   * pair is trusted), waiting for checks under way when the allowance is taken. Throws the 429 of
   * check() when the attempt is refused. Release the reservation once the outcome is counted.
   */
  async admit(named: NamedClient, ip: string): Promise<Reservation> {
    const addr = addressKey(ip);
    const id = named.guarded ? named.clientId : undefined;
    const admission = await admit(() => {
      const tiers: TierKey[] = [
        { escalation: this.ip, key: addr, shared: this.seen('ip', addr), maxInFlight: IN_FLIGHT.ip },
      ];
      if (id !== undefined && !this.trusted.has(id, addr, Date.now())) {
        tiers.push({
          escalation: this.client,
          key: id,
          shared: this.seen('client', id),
          maxInFlight: IN_FLIGHT.client,
        });
      }
      return tiers;
    });
    if (!admission.allowed) throw tooManyFailures(admission.retryAfterSeconds);
    return admission.reservation;
  }

  /** After an invalid_client: counts it, and records durably any block it starts. */
  async recordFailure(named: NamedClient, ip: string, now = Date.now(), correlationId?: string): Promise<void> {
    const addr = addressKey(ip);
    const started: Array<Promise<void>> = [];
    const ipBlock = this.ip.fail(addr, now, this.seen('ip', addr));
    if (ipBlock && this.shared)
      started.push(this.shared.publish({ scope: 'client', tier: 'ip', subject: addr, ...ipBlock }, correlationId));
    const id = named.clientId;
    if (named.guarded && id !== undefined) {
      const block = this.client.fail(id, now, this.seen('client', id));
      if (block && this.shared)
        started.push(this.shared.publish({ scope: 'client', tier: 'client', subject: id, ...block }, correlationId));
    }
    await Promise.all(started);
  }

  /** After a client proved its credential: this (client id, address) pair is trusted for a while. */
  recordSuccess(clientId: string, ip: string, now = Date.now()): void {
    this.trusted.add(clientId, addressKey(ip), now);
  }
}
