import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { EventStore, RecordedEvent, Subscription } from './eventStore.js';
import { stillAt, type DurableView } from './durableView.js';
import { DurableFeed } from './durableFeed.js';
import { WaitTimeoutError } from './waitTimeout.js';
import {
  decodeSections,
  writeCheckpoint,
  type CheckpointHeader,
  type CheckpointSections,
  type DecodedCheckpoint,
} from './checkpointFile.js';
import { prefetchCheckpoint } from './checkpointPrefetch.js';
import type { Projection } from '../../projections/projection.js';

export interface RunnerOptions {
  /** Directory for checkpoints (a snapshot of every view with the position it reflects). */
  checkpointDir?: string;
  /** Whether this process may write checkpoints (a server does; a one-shot CLI command does not). */
  writeCheckpoints?: boolean;
  /**
   * Writing the views' cut is synchronous and grows with them (their arrays are written, not copied): rarely (5 min)
   * and at shutdown.
   */
  checkpointEveryMs?: number;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Views kept on disk with their own position (not in the checkpoint), fed the same batches. */
  durable?: DurableView[];
  /** First wait before following the ledger again after the subscription failed (doubles up to 30 s). */
  resubscribeAfterMs?: number;
}

const MAX_RESUBSCRIBE_MS = 30_000;

/**
 * A hash of a projection's code as it runs: its version, initial state and reducers, as source
 * text. Helpers the reducers call are not covered; `version` is still bumped.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any view: Projection<unknown> rejects a typed evolve
export function codeFingerprint(p: Projection<any>): string {
  const h = createHash('sha256').update(`${p.name}\0${p.version}\0${p.initialState.toString()}`);
  for (const type of Object.keys(p.on).sort()) h.update(`\0${type}\0${p.on[type].toString()}`);
  return h.digest('base64url');
}

/**
 * Feeds every projection from one subscription, in ledger order. Views and their position move
 * together, so a duplicate delivery (position ≤ current) is skipped and a checkpoint always matches
 * the views it holds.
 */
export class ProjectionRunner {
  private readonly states = new Map<string, unknown>();
  private readonly byType = new Map<
    string,
    Array<{ name: string; reduce: (s: unknown, e: RecordedEvent) => unknown }>
  >();
  private current = 0n;
  private lastEvent: CheckpointHeader['lastEvent'] = null;
  private waiters: Array<{ position: bigint; resolve: () => void }> = [];
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;
  private savedPosition = -1n;
  private saving?: Promise<void>;
  private restoredMs: Record<string, number> = {};
  private log?: RunnerOptions['log'];
  private readonly fingerprints = new Map<string, string>();
  private readonly durable: DurableFeed;
  /** The checkpoint being read and checked on another thread since the runner was made. */
  private readonly prefetched?: Promise<CheckpointSections | string>;
  private failure?: Error;
  private resubscribeTimer?: NodeJS.Timeout;
  private failures = 0;
  private closing = false;
  /** From a failure until the new subscription delivers or survives its first backoff period. */
  private unsettled = false;
  private generation = 0;
  private catching?: Promise<void>;
  private queuedCatchUp?: Promise<void>;
  caughtUp = false;
  /** Ledger head when start() was called; the views are "caught up" once they reach it. */
  startHead = 0n;

  constructor(
    private readonly store: EventStore,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- views of different state types in one list
    private readonly projections: Projection<any>[],
    private readonly options: RunnerOptions = {},
  ) {
    this.log = options.log;
    this.durable = new DurableFeed(options.durable ?? [], store, () => this.log);
    const file = this.checkpointFile();
    if (file && existsSync(file)) this.prefetched = prefetchCheckpoint(file);
    for (const p of projections) {
      this.fingerprints.set(p.name, codeFingerprint(p));
      for (const [type, reduce] of Object.entries(p.on)) {
        const list = this.byType.get(type) ?? [];
        list.push({ name: p.name, reduce });
        this.byType.set(type, list);
      }
    }
  }

  /** Where restore, rebuild and checkpoint failures are told (the server's logger, once it has one). */
  useLog(log: RunnerOptions['log']): void {
    this.log = log;
  }

  /** Where the in-memory views stand (what introspection, issuance and readiness read). */
  get position(): bigint {
    return this.current;
  }

  /** Where the durable views (the history index) stand: behind the in-memory views while fed from the ledger. */
  get durablePosition(): bigint | undefined {
    return this.durable.position();
  }

  /** Resolves once the durable views (the history index) hold everything the in-memory views do. */
  settleDurable(timeoutMs = 5000): Promise<void> {
    return this.durable.settle(this.current, timeoutMs);
  }

  view<S>(p: Projection<S>): S {
    return this.states.get(p.name) as S;
  }

  /** Loads a valid checkpoint (or starts from zero), then follows the ledger; resolves once caught up. */
  async start(): Promise<void> {
    this.startHead = await this.store.headPosition();
    await this.restore();
    await this.durable.check(this.startHead);
    this.durable.holdBack(this.startHead);
    const caughtUp = this.waitFor(this.startHead, Number.POSITIVE_INFINITY).then(() => {
      this.caughtUp = true;
      this.durable.resume();
    });
    this.follow();
    if (this.options.writeCheckpoints && this.options.checkpointDir) {
      this.timer = setInterval(() => void this.saveCheckpoint(), this.options.checkpointEveryMs ?? 300_000);
      this.timer.unref();
    }
    await caughtUp;
  }

  /** Whether the views stopped following the ledger (the subscription failed; a new one is due). */
  get stopped(): boolean {
    return this.unsettled;
  }

  /** Subscribes from where the views stand; after a failure, again, with capped backoff, until closed. */
  private follow(): void {
    // Which subscription is current; a store may report a failure before subscribe() returns.
    const generation = ++this.generation;
    this.subscription = this.store.subscribe(
      this.current,
      (batch) => {
        this.unsettled = false;
        this.failures = 0;
        this.apply(batch);
      },
      {
        onError: (err) => {
          if (this.closing || this.generation !== generation) return;
          this.failure = err;
          this.unsettled = true;
          const delay = Math.min(
            MAX_RESUBSCRIBE_MS,
            (this.options.resubscribeAfterMs ?? 1000) * 2 ** Math.min(this.failures++, 16),
          );
          this.log?.warn({ err: err.message, retryInMs: delay }, 'projection subscription failed');
          const failed = this.subscription;
          this.resubscribeTimer = setTimeout(() => {
            void failed?.close().catch(() => undefined);
            if (this.closing) return;
            // Waiters wait for the new subscription instead of being told of the old one's failure.
            this.failure = undefined;
            this.follow();
            const current = this.generation;
            // One that has not failed by now is taken as following again (an idle ledger delivers nothing).
            setTimeout(() => {
              if (this.generation === current && !this.closing) this.unsettled = false;
            }, delay).unref();
          }, delay);
          this.resubscribeTimer.unref();
        },
      },
    );
  }

  /** Resolves once every event up to `position` is in the views (read-your-writes). */
  waitFor(position: bigint, timeoutMs = 5000): Promise<void> {
    if (this.position >= position) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const waiter = { position, resolve };
      this.waiters.push(waiter);
      if (Number.isFinite(timeoutMs)) {
        setTimeout(() => {
          if (!this.waiters.includes(waiter)) return;
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new WaitTimeoutError(`views did not reach position ${position} within ${timeoutMs} ms`));
        }, timeoutMs).unref();
      }
    });
  }

  /**
   * Resolves once the views hold everything the ledger held when this was called: for a lookup that
   * missed (a client another process registered a moment ago, which the subscription has not
   * delivered yet). Calls that overlap share one read of the head, plus at most one queued after it,
   * so a flood of misses costs one head read at a time.
   */
  catchUp(timeoutMs = 2000): Promise<void> {
    if (this.catching) return (this.queuedCatchUp ??= this.catching.then(() => this.catchUp(timeoutMs)));
    const run = this.store.headPosition().then((head) => this.waitFor(head, timeoutMs));
    this.catching = run.finally(() => {
      this.catching = undefined;
      this.queuedCatchUp = undefined;
    });
    return this.catching;
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.resubscribeTimer);
    if (this.timer) clearInterval(this.timer);
    await this.subscription?.close();
    await this.saving;
    if (this.options.writeCheckpoints) await this.saveCheckpoint();
    await this.durable.close();
  }

  private apply(batch: RecordedEvent[]): void {
    this.durable.push(batch);
    for (const event of batch) {
      if (event.position <= this.current) continue;
      const reducers = this.byType.get(event.type);
      if (reducers) for (const r of reducers) this.states.set(r.name, r.reduce(this.states.get(r.name), event));
      this.current = event.position;
    }
    const last = batch[batch.length - 1];
    if (last && last.position === this.current)
      this.lastEvent = { id: last.id, stream: last.stream, revision: last.revision };
    this.resolveWaiters();
  }

  private resolveWaiters(): void {
    if (this.waiters.length > 0) {
      const reached = this.position;
      const ready = this.waiters.filter((w) => w.position <= reached);
      this.waiters = this.waiters.filter((w) => w.position > reached);
      for (const w of ready) w.resolve();
    }
  }

  private checkpointFile(): string | undefined {
    return this.options.checkpointDir ? join(this.options.checkpointDir, 'views.checkpoint') : undefined;
  }

  private reset(): void {
    for (const p of this.projections) this.states.set(p.name, p.initialState());
    this.current = 0n;
    this.lastEvent = null;
  }

  private async restore(): Promise<void> {
    this.reset();
    if (!this.prefetched) return;
    const started = performance.now();
    const reason = await this.tryRestore(this.prefetched);
    if (reason) {
      this.reset();
      const log = this.log;
      if (/corrupt|unreadable/.test(reason)) log?.warn({ reason }, 'views rebuilt from the start of the ledger');
      else log?.info({ reason }, 'views rebuilt from the start of the ledger');
    } else {
      const ms = Math.round(performance.now() - started);
      this.log?.info(
        { position: this.current.toString(), ms, perView: this.restoredMs },
        'views restored from checkpoint',
      );
    }
  }

  /** Returns why the checkpoint could not be used, or undefined when the views were restored. */
  private async tryRestore(prefetched: Promise<CheckpointSections | string>): Promise<string | undefined> {
    const checked = await prefetched;
    if (typeof checked === 'string') return checked;
    const cp: DecodedCheckpoint = decodeSections(checked);
    const { header } = cp;
    const position = BigInt(header.position);
    if (position > this.startHead) return 'checkpoint is ahead of the ledger';
    if (header.lastEvent && !(await stillAt(this.store, header.lastEvent, position)))
      return 'checkpoint is from another ledger';
    for (const p of this.projections) {
      const v = header.views.find((s) => s.name === p.name);
      if (!v || v.version !== p.version || v.code !== this.fingerprints.get(p.name)) return `view ${p.name} changed`;
    }
    const ms: Record<string, number> = {};
    try {
      for (const p of this.projections) {
        const started = performance.now();
        const stored = cp.state(p.name);
        this.states.set(p.name, stored);
        ms[p.name] = Math.round(performance.now() - started);
      }
    } catch {
      return 'checkpoint unreadable';
    }
    this.restoredMs = ms;
    this.current = position;
    this.lastEvent = header.lastEvent;
    this.savedPosition = position;
    return undefined;
  }

  /**
   * One save at a time; the views are written to a file synchronously (a consistent cut), hashed and made durable
   * asynchronously.
   */
  private saveCheckpoint(): Promise<void> {
    if (this.saving) return this.saving;
    const file = this.checkpointFile();
    if (!file || this.current === this.savedPosition || !this.caughtUp) return Promise.resolve();
    const views = this.projections.map((p) => {
      const state = this.states.get(p.name);
      return { name: p.name, version: p.version, code: this.fingerprints.get(p.name)!, state };
    });
    const position = this.current;
    this.saving = writeCheckpoint(
      this.options.checkpointDir!,
      file,
      { position: position.toString(), lastEvent: this.lastEvent },
      views,
    )
      .then(() => {
        this.savedPosition = position;
      })
      .catch((err: Error) => this.log?.warn({ err: err.message }, 'checkpoint not written'))
      .finally(() => {
        this.saving = undefined;
      });
    return this.saving;
  }
}
