import { Webhook } from 'standardwebhooks';
import type { EventStore, RecordedEvent } from '../eventsourcing/eventStore.js';
import { toCloudEvent } from './cloudEvent.js';
import type { SinkCursor, SinkCursors } from './cursors.js';
import { wants, type Sink } from './sink.js';

/** A lease outlives a few missed renewals; a dead owner on the same host is replaced at once (owner.ts). */
export const LEASE_MS = 30_000;
/** Events read per step: a sink far behind catches up in slices, never holding a large page. */
const READ_SLICE = 200;
/** The first retry; each failure doubles it up to EVENT_SINKS_RETRY_MAX_MS. */
const FIRST_RETRY_MS = 500;
/** Without a wake-up (an append, a lease to take over), a sink looks again this often. */
const IDLE_MS = 5_000;

export interface DeliveryDeps {
  store: Pick<EventStore, 'readAll'>;
  cursors: SinkCursors;
  owner: string;
  issuer: string;
  timeoutMs: number;
  retryMaxMs: number;
  /** Records the parking in the ledger. */
  park(sink: Sink, cursor: SinkCursor): Promise<void>;
  /** Told of each attempt's outcome (metrics). */
  observe?(sinkId: string, outcome: 'delivered' | 'failed'): void;
  warn(obj: object, msg: string): void;
}

/** Full jitter over the upper half: receivers that failed together do not come back to a thundering herd. */
export function backoffMs(attempt: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, FIRST_RETRY_MS * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/**
 * Delivers one sink's events in ledger order, at least once: the position moves only after a 2xx, so the event in
 * flight when the process dies is sent again (same webhook-id). Runs beside the request path, reading the ledger
 * from the sink's position; only the lease holder sends.
 */
export class SinkDelivery {
  private stopped = false;
  private wakeUp?: () => void;
  private readonly abort = new AbortController();
  private readonly webhook: Webhook;
  private loop?: Promise<void>;
  private leasedUntil = 0;

  constructor(
    readonly sink: Sink,
    private readonly deps: DeliveryDeps,
  ) {
    this.webhook = new Webhook(sink.secret);
  }

  start(): void {
    this.loop ??= this.run().catch((err: unknown) =>
      this.deps.warn({ sink: this.sink.id, err }, 'event sink delivery stopped'),
    );
  }

  /** New events, or a lease that may be free: look now instead of at the next idle tick. */
  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wakeUp?.();
    await this.loop;
  }

  private pause(ms: number, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', done);
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.abort.signal.addEventListener('abort', done);
      if (wakeable) this.wakeUp = done;
    });
  }

  /**
   * Renewed once a third of it has passed, not per event: between renewals every position written still names this
   * owner (`advance` checks it), so a lease taken over meanwhile stops this delivery at its next event.
   */
  private async lease(): Promise<boolean> {
    const now = Date.now();
    if (this.leasedUntil - now > (2 * LEASE_MS) / 3) return true;
    const held = await this.deps.cursors.lease(this.sink.id, this.deps.owner, now + LEASE_MS);
    this.leasedUntil = held ? now + LEASE_MS : 0;
    return held;
  }

  private async run(): Promise<void> {
    const { cursors, store, owner } = this.deps;
    while (!this.stopped) {
      if (!(await this.lease())) {
        await this.pause(LEASE_MS / 3, true);
        continue;
      }
      const cursor = await cursors.get(this.sink.id);
      const events = await store.readAll(cursor.position, READ_SLICE);
      if (events.length === 0) {
        await this.pause(IDLE_MS, true);
        continue;
      }
      let passed: bigint | undefined;
      let interrupted = false;
      for (const e of events) {
        if (!wants(this.sink, e)) {
          passed = e.position;
          continue;
        }
        if (!(await this.deliver(e))) {
          interrupted = true;
          break;
        }
        passed = undefined;
      }
      // Events the filter drops move the position too, so a restart does not read them again.
      if (!interrupted && passed !== undefined) await cursors.advance(this.sink.id, owner, passed);
    }
  }

  /** Sends until a 2xx; false when stopped, parked, or the lease was lost (the loop then starts over). */
  private async deliver(e: RecordedEvent): Promise<boolean> {
    const { cursors, owner } = this.deps;
    for (let attempt = 0; ; attempt++) {
      if (this.stopped || !(await this.lease())) return false;
      const error = await this.attempt(e);
      if (this.stopped) return false;
      if (error === undefined) {
        this.deps.observe?.(this.sink.id, 'delivered');
        const held = await cursors.advance(this.sink.id, owner, e.position, new Date());
        if (!held) this.leasedUntil = 0;
        return held;
      }
      this.deps.observe?.(this.sink.id, 'failed');
      const cursor = await cursors.fail(this.sink.id, owner, error, new Date());
      const failingFor = Date.now() - (cursor.failingSince?.getTime() ?? Date.now());
      if (failingFor >= this.sink.parkAfterSeconds * 1000) {
        await this.deps.park(this.sink, cursor);
        this.stopped = true;
        return false;
      }
      await this.pause(backoffMs(attempt, this.deps.retryMaxMs), false);
    }
  }

  /** One POST; the error (for lastError and the log) or undefined on a 2xx. Redirects are failures, not followed. */
  private async attempt(e: RecordedEvent): Promise<string | undefined> {
    const body = JSON.stringify(toCloudEvent(e, this.deps.issuer));
    const now = new Date();
    // One controller per attempt (not AbortSignal.any on a long-lived signal, whose followers pile up on Node 20).
    const attempt = new AbortController();
    const onStop = () => attempt.abort();
    this.abort.signal.addEventListener('abort', onStop);
    const timer = setTimeout(() => attempt.abort(new DOMException('timeout', 'TimeoutError')), this.deps.timeoutMs);
    try {
      const res = await fetch(this.sink.url, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/cloudevents+json',
          'webhook-id': e.id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': this.webhook.sign(e.id, now, body),
          'user-agent': 'token-ledger',
        },
        body,
        signal: attempt.signal,
      });
      await res.body?.cancel();
      return res.status >= 200 && res.status < 300 ? undefined : `HTTP ${res.status}`;
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'TimeoutError') return `no answer within ${this.deps.timeoutMs} ms`;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return cause?.code ?? cause?.message ?? (err as Error).message;
    } finally {
      clearTimeout(timer);
      this.abort.signal.removeEventListener('abort', onStop);
    }
  }
}
