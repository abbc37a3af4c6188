import type { AllStreamResolvedEvent, AllStreamSubscription } from '@kurrent/kurrentdb-client';
import {
  StoreUnavailableError,
  type BatchHandler,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../../eventsourcing/eventStore.js';
import { isTransient, translateError } from './errors.js';
import { isLedgerEvent, toRecorded } from './records.js';

const MAX_BATCH = 256;
const HIGH_WATER = 1024;
const MAX_BACKOFF_MS = 5_000;

/**
 * A catch-up subscription to `$all` that survives reconnects. Events are buffered as they arrive
 * and handed to the handler one batch at a time; anything at or before the last buffered position
 * is dropped, which is what makes a resubscription (from that position) deliver nothing twice.
 */
export class EsdbSubscription implements Subscription {
  private last: bigint;
  private buffer: RecordedEvent[] = [];
  private live?: AllStreamSubscription;
  private closed = false;
  private delivering: Promise<void> | undefined;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly open: (after: bigint) => AllStreamSubscription,
    private readonly target: string,
    after: bigint,
    private readonly handler: BatchHandler,
    private readonly options: SubscribeOptions,
    private readonly onClosed: () => void,
  ) {
    this.last = after;
    this.connect();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.buffer = [];
    this.onClosed();
    await this.live?.unsubscribe().catch(() => undefined);
    await this.delivering;
  }

  private connect(): void {
    if (this.closed) return;
    let live: AllStreamSubscription;
    try {
      live = this.open(this.last);
    } catch (err) {
      this.dropped(err);
      return;
    }
    this.live = live;
    live.on('confirmation', () => this.healthy());
    live.on('data', (resolved: AllStreamResolvedEvent) => {
      if (live !== this.live || this.closed || !resolved.event) return;
      const event = resolved.event;
      const position = event.position.commit;
      if (position <= this.last || !isLedgerEvent(event)) return;
      let recorded: RecordedEvent;
      try {
        recorded = toRecorded(event);
      } catch (err) {
        this.fail(err);
        return;
      }
      this.last = position;
      this.healthy();
      this.buffer.push(recorded);
      if (this.buffer.length >= HIGH_WATER) live.pause();
      this.deliver();
    });
    live.on('error', (err: Error) => {
      if (live === this.live) this.dropped(err);
    });
    live.on('end', () => {
      // A clean end (a server restart, a leader change) is an outage like any other.
      if (live === this.live)
        this.dropped(new StoreUnavailableError(`EventStoreDB at ${this.target} ended the subscription`), true);
    });
  }

  private healthy(): void {
    this.failures = 0;
  }

  /**
   * Resubscribes from the last buffered position with capped backoff, for as long as the server is
   * away (an outage ends; views frozen for good do not). Only a refusal no retry fixes is fatal.
   */
  private dropped(err: unknown, transient = isTransient(err)): void {
    if (this.closed) return;
    this.live = undefined;
    const error = translateError(err, this.target);
    if (!(error instanceof StoreUnavailableError) || !transient) {
      this.fail(error);
      return;
    }
    const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(this.failures++, 16));
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private deliver(): void {
    if (this.delivering) return;
    this.delivering = (async () => {
      try {
        while (this.buffer.length > 0 && !this.closed) {
          const batch = this.buffer.splice(0, MAX_BATCH);
          if (this.buffer.length < HIGH_WATER && this.live?.isPaused()) this.live.resume();
          await this.handler(batch);
        }
      } catch (err) {
        this.fail(err);
      } finally {
        this.delivering = undefined;
      }
    })();
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    void this.close();
    this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
  }
}
