import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { EventStore, RecordedEvent, Subscription } from './eventStore.js';
import type { Projection } from '../../projections/projection.js';

export interface RunnerOptions {
  /** Directory for checkpoints (a snapshot of every view with the position it reflects). */
  checkpointDir?: string;
  /** Whether this process may write checkpoints (a server does; a one-shot CLI command does not). */
  writeCheckpoints?: boolean;
  /** Serialising the views is synchronous and grows with them: rarely (5 min) and at shutdown. */
  checkpointEveryMs?: number;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

interface Checkpoint {
  format: 1;
  position: string;
  /** The event at `position`, to recognise a checkpoint taken from another ledger. */
  lastEvent: { id: string; stream: string; revision: number } | null;
  views: Record<string, { version: number; state: unknown }>;
}

export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}

/**
 * Feeds every projection from one subscription, in ledger order. Views and their position move
 * together, so a duplicate delivery (position ≤ current) is skipped and a checkpoint always matches
 * the views it holds.
 */
export class ProjectionRunner {
  private readonly states = new Map<string, unknown>();
  private readonly byType = new Map<string, Array<{ name: string; reduce: (s: unknown, e: RecordedEvent) => unknown }>>();
  private current = 0n;
  private lastEvent: Checkpoint['lastEvent'] = null;
  private waiters: Array<{ position: bigint; resolve: () => void }> = [];
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;
  private savedPosition = -1n;
  private failure?: Error;
  caughtUp = false;
  /** Ledger head when start() was called; the views are "caught up" once they reach it. */
  startHead = 0n;

  constructor(
    private readonly store: EventStore,
    private readonly projections: Projection<any>[],
    private readonly options: RunnerOptions = {},
  ) {
    for (const p of projections) {
      for (const [type, reduce] of Object.entries(p.on)) {
        const list = this.byType.get(type) ?? [];
        list.push({ name: p.name, reduce });
        this.byType.set(type, list);
      }
    }
  }

  get position(): bigint {
    return this.current;
  }

  view<S>(p: Projection<S>): S {
    return this.states.get(p.name) as S;
  }

  /** Loads a valid checkpoint (or starts from zero), then follows the ledger; resolves once caught up. */
  async start(): Promise<void> {
    this.startHead = await this.store.headPosition();
    await this.restore();
    const caughtUp = this.waitFor(this.startHead, Number.POSITIVE_INFINITY).then(() => {
      this.caughtUp = true;
    });
    this.subscription = this.store.subscribe(this.current, (batch) => this.apply(batch), {
      onError: (err) => {
        this.failure = err;
        this.options.log?.warn({ err: err.message }, 'projection subscription failed');
      },
    });
    if (this.options.writeCheckpoints && this.options.checkpointDir) {
      this.timer = setInterval(() => this.saveCheckpoint(), this.options.checkpointEveryMs ?? 300_000);
      this.timer.unref();
    }
    await caughtUp;
  }

  /** Resolves once every event up to `position` is in the views (read-your-writes). */
  waitFor(position: bigint, timeoutMs = 5000): Promise<void> {
    if (this.current >= position) return Promise.resolve();
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

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.subscription?.close();
    if (this.options.writeCheckpoints) this.saveCheckpoint();
  }

  private apply(batch: RecordedEvent[]): void {
    for (const event of batch) {
      if (event.position <= this.current) continue;
      const reducers = this.byType.get(event.type);
      if (reducers) for (const r of reducers) this.states.set(r.name, r.reduce(this.states.get(r.name), event));
      this.current = event.position;
    }
    const last = batch[batch.length - 1];
    if (last && last.position === this.current) this.lastEvent = { id: last.id, stream: last.stream, revision: last.revision };
    if (this.waiters.length > 0) {
      const ready = this.waiters.filter((w) => w.position <= this.current);
      this.waiters = this.waiters.filter((w) => w.position > this.current);
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
    const file = this.checkpointFile();
    if (!file || !existsSync(file)) return;
    const reason = await this.tryRestore(file);
    if (reason) {
      this.reset();
      this.options.log?.info({ reason }, 'views rebuilt from the start of the ledger');
    }
  }

  /** Returns why the checkpoint could not be used, or undefined when the views were restored. */
  private async tryRestore(file: string): Promise<string | undefined> {
    let cp: Checkpoint;
    try {
      cp = deserialize(readFileSync(file)) as Checkpoint;
    } catch {
      return 'checkpoint unreadable';
    }
    const position = BigInt(cp.position);
    if (position > this.startHead) return 'checkpoint is ahead of the ledger';
    if (cp.lastEvent) {
      const [event] = await this.store.readStream(cp.lastEvent.stream, cp.lastEvent.revision);
      if (!event || event.id !== cp.lastEvent.id || event.position !== position) return 'checkpoint is from another ledger';
    }
    for (const p of this.projections) {
      const v = cp.views[p.name];
      if (!v || v.version !== p.version) return `view ${p.name} changed`;
    }
    for (const p of this.projections) this.states.set(p.name, cp.views[p.name]!.state);
    this.current = position;
    this.lastEvent = cp.lastEvent;
    this.savedPosition = position;
    return undefined;
  }

  private saveCheckpoint(): void {
    const file = this.checkpointFile();
    if (!file || this.current === this.savedPosition || !this.caughtUp) return;
    const views: Checkpoint['views'] = {};
    for (const p of this.projections) views[p.name] = { version: p.version, state: this.states.get(p.name) };
    const cp: Checkpoint = { format: 1, position: this.current.toString(), lastEvent: this.lastEvent, views };
    mkdirSync(this.options.checkpointDir!, { recursive: true });
    // Write-then-rename: a crash leaves the old checkpoint or the new one, never half of one.
    writeFileSync(`${file}.tmp`, serialize(cp), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    this.savedPosition = this.current;
  }
}
