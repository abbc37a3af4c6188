import type { EventStore, RecordedEvent } from './eventStore.js';
import { stillAt, type DurableView } from './durableView.js';
import { WaitTimeoutError } from './waitTimeout.js';

type Log = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void } | undefined;

/** Events are written to the durable views at most this long after the in-memory views have them… */
const FLUSH_AFTER_MS = 20;
/** …or at once when this many are waiting (a rebuild, a burst). */
const FLUSH_AT_EVENTS = 2000;
/** Events per step when a view is fed from the ledger: a step is a few milliseconds between requests. */
const CATCH_UP_SLICE = 500;

/**
 * Feeds the durable views off the hot path. Writing a SQLite transaction per delivered batch would
 * put its fixed cost on every issuance, which waits for the in-memory views only; so batches are
 * queued and written together every few milliseconds, and a reader of a durable view first calls
 * `settle`, which writes what is queued at once (read-your-writes without the wait).
 *
 * A view that cannot write (disk full, file locked too long) neither stops the in-memory views nor
 * skips events: it falls behind and is fed from the ledger until it is back at the edge; meanwhile
 * `settle` waits for it (or times out, and the reader answers 503).
 */
export class DurableFeed {
  private pending: RecordedEvent[] = [];
  private timer?: NodeJS.Timeout;
  private readonly lagging = new Set<DurableView>();
  private readonly catchingUp = new Set<DurableView>();
  private waiters: Array<{ position: bigint; resolve: () => void }> = [];
  private closed = false;

  constructor(
    readonly views: DurableView[],
    private readonly store: EventStore,
    private readonly log: () => Log,
  ) {}

  /** The least position among the views (what they all hold), or undefined without views. */
  position(): bigint | undefined {
    let least: bigint | undefined;
    for (const d of this.views) if (least === undefined || d.position() < least) least = d.position();
    return least;
  }

  push(batch: RecordedEvent[]): void {
    if (this.views.length === 0 || this.closed) return;
    for (const e of batch) this.pending.push(e);
    if (this.pending.length >= FLUSH_AT_EVENTS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_AFTER_MS);
  }

  /** Writes every queued event now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    for (const d of this.views) if (!this.lagging.has(d)) this.write(d, events);
    this.resolveWaiters();
  }

  /** Resolves once every view holds `target` (the in-memory views' position when a reader asks). */
  settle(target: bigint, timeoutMs = 5000): Promise<void> {
    this.flush();
    if ((this.position() ?? target) >= target) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { position: target, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        if (!this.waiters.includes(waiter)) return;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new WaitTimeoutError(`the history index did not reach position ${target} within ${timeoutMs} ms`));
      }, timeoutMs).unref();
    });
  }

  /** A view ahead of this ledger, or whose last event is not where it was, is from another ledger: rebuilt. */
  async check(head: bigint): Promise<void> {
    for (const d of this.views) {
      const position = d.position();
      if (position === 0n) continue;
      let reason: string | undefined;
      const last = d.lastEvent();
      if (position > head) reason = 'ahead of the ledger';
      else if (last && !(await stillAt(this.store, last, position))) reason = 'from another ledger';
      if (reason) {
        d.reset();
        this.log()?.warn({ view: d.name, reason }, 'view rebuilt from the start of the ledger');
      }
    }
  }

  /**
   * At start: a view behind the ledger's head (a lost or older file, a crash's lost tail) is not fed
   * by the runner's catch-up, which readiness waits for; it is fed from the ledger once `resume` is
   * called, between requests. Rebuilding the history index of a million tokens takes longer than
   * rebuilding every in-memory view, and the OAuth endpoints do not read it.
   */
  holdBack(head: bigint): void {
    for (const d of this.views) {
      if (d.position() >= head) continue;
      this.lagging.add(d);
      this.log()?.info(
        { view: d.name, position: d.position().toString(), head: head.toString() },
        'view behind the ledger: caught up once the server is ready',
      );
    }
  }

  /** Starts feeding the views held back at start from the ledger. */
  resume(): void {
    for (const d of this.lagging) void this.catchUp(d);
  }

  /** Resolves once what was queued is written and every view is closed. */
  async close(): Promise<void> {
    this.flush();
    this.closed = true;
    await Promise.all(this.views.map((d) => Promise.resolve(d.close())));
  }

  private write(d: DurableView, events: RecordedEvent[]): void {
    let written: void | Promise<void>;
    try {
      written = d.apply(events);
    } catch (err) {
      return this.failed(d, err as Error);
    }
    // A view on another thread: its position moves when the thread reports the batch written.
    written?.then(
      () => this.resolveWaiters(),
      (err: Error) => this.failed(d, err),
    );
  }

  private failed(d: DurableView, err: Error): void {
    // The batches after a failed one, already on their way to a view's thread, are refused too: one catch-up.
    if (this.closed || this.lagging.has(d)) return;
    this.lagging.add(d);
    this.log()?.warn({ view: d.name, err: err.message }, 'view could not be written; catching up from the ledger');
    setTimeout(() => void this.catchUp(d), 1000).unref();
  }

  /** Reads the ledger from the view's own position in slices, letting requests run between them. */
  private async catchUp(d: DurableView): Promise<void> {
    if (this.catchingUp.has(d)) return;
    this.catchingUp.add(d);
    try {
      for (;;) {
        if (this.closed) return;
        const events = await this.store.readAll(d.position(), CATCH_UP_SLICE);
        if (events.length === 0) break;
        await d.apply(events, true);
        this.resolveWaiters();
        await new Promise((resolve) => setImmediate(resolve));
      }
      // Synchronously after the read that found nothing new: the next delivered batch feeds it again.
      this.lagging.delete(d);
      this.resolveWaiters();
      this.log()?.info({ view: d.name, position: d.position().toString() }, 'view caught up');
    } catch (err) {
      if (this.closed) return;
      this.log()?.warn({ view: d.name, err: (err as Error).message }, 'view still cannot be written; trying again');
      setTimeout(() => void this.catchUp(d), 1000).unref();
    } finally {
      this.catchingUp.delete(d);
    }
  }

  private resolveWaiters(): void {
    if (this.waiters.length === 0) return;
    const reached = this.position() ?? 0n;
    const ready = this.waiters.filter((w) => w.position <= reached);
    this.waiters = this.waiters.filter((w) => w.position > reached);
    for (const w of ready) w.resolve();
  }
}
