import {
  StoreUnavailableError,
  type BatchHandler,
  type RecordedEvent,
  type SubscribeOptions,
} from '../../eventsourcing/eventStore.js';

const MAX_RETRY_MS = 5_000;

/**
 * Delivers pages read by position, in order, each event once. A pump while a delivery runs is
 * remembered, never run twice at once. A read that fails because the database is unreachable is
 * retried with capped backoff from the last delivered position; a handler that throws ends it.
 */
export class PostgresSubscription {
  private running = false;
  private again = false;
  private stopped = false;
  private failures = 0;
  private retry?: NodeJS.Timeout;
  private done: Promise<void> = Promise.resolve();
  private offered: RecordedEvent[] = [];

  constructor(
    private last: bigint,
    private readonly handler: BatchHandler,
    private readonly options: SubscribeOptions,
    private readonly read: (after: bigint) => Promise<RecordedEvent[]>,
    /** The most a read returns: an offered page is never larger. */
    private readonly pageSize: number,
  ) {}

  pump(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.done = this.drain().finally(() => {
      this.running = false;
    });
  }

  /**
   * This instance's own commit, as written: kept while it continues what is kept already (at most a
   * page), and delivered instead of a read when it comes right after what this subscription has
   * delivered. Anything else (another instance's events first, a slow handler) is read as before.
   */
  offer(committed: RecordedEvent[]): void {
    const kept = this.offered[this.offered.length - 1];
    const continues = kept === undefined || committed[0]?.position === kept.position + 1n;
    this.offered =
      continues && this.offered.length + committed.length <= this.pageSize ? [...this.offered, ...committed] : [];
    this.pump();
  }

  /** The offered events right after the last delivered one, if any (those already delivered are dropped). */
  private takeOffered(): RecordedEvent[] | undefined {
    const fresh = this.offered.filter((e) => e.position > this.last);
    this.offered = [];
    return fresh[0]?.position === this.last + 1n ? fresh : undefined;
  }

  behind(head: bigint): boolean {
    return !this.stopped && this.last < head;
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      for (;;) {
        if (this.stopped) return;
        let page: RecordedEvent[];
        try {
          page = this.takeOffered() ?? (await this.read(this.last));
        } catch (err) {
          if (!(err instanceof StoreUnavailableError)) return this.fail(err);
          // The next notification, local commit or head query pumps sooner.
          const delay = Math.min(MAX_RETRY_MS, 100 * 2 ** this.failures++);
          clearTimeout(this.retry);
          this.retry = setTimeout(() => this.pump(), delay);
          this.retry.unref();
          return;
        }
        this.failures = 0;
        if (page.length === 0 || this.stopped) break;
        try {
          await this.handler(page);
        } catch (err) {
          return this.fail(err);
        }
        this.last = page[page.length - 1].position;
      }
    } while (this.again);
  }

  private fail(err: unknown): void {
    this.stopped = true;
    this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.done;
  }
}
