import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { createHash } from 'node:crypto';
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
  format: 2;
  position: string;
  /** The event at `position`, to recognise a checkpoint taken from another ledger. */
  lastEvent: { id: string; stream: string; revision: number } | null;
  /** `code` is codeFingerprint(): a reducer edited without a version bump still invalidates its view. */
  views: Record<string, { version: number; code: string; state: unknown }>;
}

/** File layout: magic, SHA-256 of the payload, payload (v8-serialised Checkpoint). */
const MAGIC = Buffer.from('TLVIEWS2', 'latin1');
const HEADER_BYTES = MAGIC.length + 32;

/**
 * A hash of a projection's code as it runs: its version, initial state, reducers and checkpoint
 * codec, as source text. Helpers the reducers call are not covered; `version` is still bumped.
 */
export function codeFingerprint(p: Projection<any>): string {
  const h = createHash('sha256').update(`${p.name}\0${p.version}\0${p.initialState.toString()}`);
  for (const type of Object.keys(p.on).sort()) h.update(`\0${type}\0${p.on[type]!.toString()}`);
  h.update(`\0${p.snapshot?.toString() ?? ''}\0${p.restore?.toString() ?? ''}`);
  return h.digest('base64url');
}

export function encodeCheckpoint(cp: Checkpoint): Buffer[] {
  const payload = serialize(cp);
  return [MAGIC, createHash('sha256').update(payload).digest(), payload];
}

/** The checkpoint in `file`, or why it cannot be trusted (truncated, corrupt, unreadable). */
export function decodeCheckpoint(file: Buffer): Checkpoint | string {
  if (file.length < HEADER_BYTES || !file.subarray(0, MAGIC.length).equals(MAGIC)) return 'checkpoint unreadable (not a checkpoint, an older format or truncated)';
  const payload = file.subarray(HEADER_BYTES);
  if (!createHash('sha256').update(payload).digest().equals(file.subarray(MAGIC.length, HEADER_BYTES))) return 'checkpoint corrupt (checksum mismatch)';
  try {
    return deserialize(payload) as Checkpoint;
  } catch {
    return 'checkpoint unreadable';
  }
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
  private saving?: Promise<void>;
  private readonly fingerprints = new Map<string, string>();
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
      this.fingerprints.set(p.name, codeFingerprint(p));
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
      this.timer = setInterval(() => void this.saveCheckpoint(), this.options.checkpointEveryMs ?? 300_000);
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
    await this.saving;
    if (this.options.writeCheckpoints) await this.saveCheckpoint();
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
    const started = performance.now();
    const reason = await this.tryRestore(file);
    if (reason) {
      this.reset();
      const log = this.options.log;
      if (/corrupt|unreadable/.test(reason)) log?.warn({ reason }, 'views rebuilt from the start of the ledger');
      else log?.info({ reason }, 'views rebuilt from the start of the ledger');
    } else {
      this.options.log?.info({ position: this.current.toString(), ms: Math.round(performance.now() - started) }, 'views restored from checkpoint');
    }
  }

  /** Returns why the checkpoint could not be used, or undefined when the views were restored. */
  private async tryRestore(file: string): Promise<string | undefined> {
    let cp: Checkpoint | string;
    try {
      cp = decodeCheckpoint(readFileSync(file));
    } catch {
      return 'checkpoint unreadable';
    }
    if (typeof cp === 'string') return cp;
    if (cp.format !== 2) return 'checkpoint unreadable (older format)';
    const position = BigInt(cp.position);
    if (position > this.startHead) return 'checkpoint is ahead of the ledger';
    if (cp.lastEvent) {
      const [event] = await this.store.readStream(cp.lastEvent.stream, cp.lastEvent.revision);
      if (!event || event.id !== cp.lastEvent.id || event.position !== position) return 'checkpoint is from another ledger';
    }
    for (const p of this.projections) {
      const v = cp.views[p.name];
      if (!v || v.version !== p.version || v.code !== this.fingerprints.get(p.name)) return `view ${p.name} changed`;
    }
    for (const p of this.projections) {
      const stored = cp.views[p.name]!.state;
      this.states.set(p.name, p.restore ? p.restore(stored) : stored);
    }
    this.current = position;
    this.lastEvent = cp.lastEvent;
    this.savedPosition = position;
    return undefined;
  }

  /** One save at a time; the views are serialised synchronously (a consistent cut), written asynchronously. */
  private saveCheckpoint(): Promise<void> {
    if (this.saving) return this.saving;
    const file = this.checkpointFile();
    if (!file || this.current === this.savedPosition || !this.caughtUp) return Promise.resolve();
    const views: Checkpoint['views'] = {};
    for (const p of this.projections) {
      const state = this.states.get(p.name);
      views[p.name] = { version: p.version, code: this.fingerprints.get(p.name)!, state: p.snapshot ? p.snapshot(state) : state };
    }
    const position = this.current;
    const parts = encodeCheckpoint({ format: 2, position: position.toString(), lastEvent: this.lastEvent, views });
    this.saving = writeDurably(this.options.checkpointDir!, file, parts)
      .then(() => {
        this.savedPosition = position;
      })
      .catch((err: Error) => this.options.log?.warn({ err: err.message }, 'checkpoint not written'))
      .finally(() => {
        this.saving = undefined;
      });
    return this.saving;
  }
}

/**
 * Write to a temporary file, fsync it, rename it over the old one, fsync the directory: a crash at
 * any point leaves the old checkpoint or the new one, whole, and a rename that survives power loss.
 */
async function writeDurably(dir: string, file: string, parts: Buffer[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    for (const part of parts) {
      for (let offset = 0; offset < part.length; ) offset += (await fh.write(part, offset, part.length - offset)).bytesWritten;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  const d = openSync(dir, 'r');
  try {
    fsyncSync(d);
  } finally {
    closeSync(d);
  }
}
