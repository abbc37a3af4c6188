import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, unlinkSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { EventStore, RecordedEvent, Subscription } from './eventStore.js';
import type { AppliedEvent, DurableView } from './durableView.js';
import type { Projection } from '../../projections/projection.js';

export interface RunnerOptions {
  /** Directory for checkpoints (a snapshot of every view with the position it reflects). */
  checkpointDir?: string;
  /** Whether this process may write checkpoints (a server does; a one-shot CLI command does not). */
  writeCheckpoints?: boolean;
  /** Serialising the views is synchronous and grows with them: rarely (5 min) and at shutdown. */
  checkpointEveryMs?: number;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Views kept on disk with their own position (not in the checkpoint), fed the same batches. */
  durable?: DurableView[];
}

/** The checkpoint's header: where the views stand, and which code built each. */
interface CheckpointHeader {
  format: 2;
  position: string;
  /** The event at `position`, to recognise a checkpoint taken from another ledger. */
  lastEvent: AppliedEvent | null;
  /**
   * In payload order. `code` is codeFingerprint(): a reducer edited without a version bump still
   * invalidates its view. `bytes`: length of the view's v8-serialised state.
   */
  views: Array<{ name: string; version: number; code: string; bytes: number }>;
}

/**
 * File layout: magic (8 bytes), SHA-256 of everything after it (32), header length (u32 BE),
 * header (JSON), then each view's state, v8-serialised, in header order. The header is checked
 * before any view is deserialised, and each view is deserialised on its own (timed in the log).
 */
const MAGIC = Buffer.from('TLVIEWS2', 'latin1');
const PREFIX_BYTES = MAGIC.length + 32 + 4;

/**
 * A hash of a projection's code as it runs: its version, initial state and reducers, as source
 * text. Helpers the reducers call are not covered; `version` is still bumped.
 */
export function codeFingerprint(p: Projection<any>): string {
  const h = createHash('sha256').update(`${p.name}\0${p.version}\0${p.initialState.toString()}`);
  for (const type of Object.keys(p.on).sort()) h.update(`\0${type}\0${p.on[type]!.toString()}`);
  return h.digest('base64url');
}

export function encodeCheckpoint(head: Omit<CheckpointHeader, 'views'>, views: Array<{ name: string; version: number; code: string; state: unknown }>): Buffer[] {
  const payloads = views.map((v) => serialize(v.state));
  const header: CheckpointHeader = { ...head, views: views.map((v, i) => ({ name: v.name, version: v.version, code: v.code, bytes: payloads[i]!.length })) };
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  const hash = createHash('sha256').update(length).update(json);
  for (const p of payloads) hash.update(p);
  return [MAGIC, hash.digest(), length, json, ...payloads];
}

export interface DecodedCheckpoint {
  header: CheckpointHeader;
  /** The stored state of one view (deserialised on demand). */
  state(name: string): unknown;
}

/**
 * The checkpoint in `file`, or why it cannot be trusted (truncated, corrupt, unreadable). Each view
 * is read into a buffer of its own: typed arrays in a view's state come back as views into that
 * buffer (no copy when aligned), and a view's buffer is not held alive by another's.
 */
export function readCheckpoint(file: string): DecodedCheckpoint | string {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const read = (length: number, at: number) => {
      const buf = Buffer.allocUnsafe(length);
      for (let done = 0; done < length; ) {
        const n = readSync(fd, buf, done, length - done, at + done);
        if (n === 0) throw new Error('short read');
        done += n;
      }
      return buf;
    };
    if (size < PREFIX_BYTES) return 'checkpoint unreadable (not a checkpoint, an older format or truncated)';
    const prefix = read(PREFIX_BYTES, 0);
    if (!prefix.subarray(0, MAGIC.length).equals(MAGIC)) return 'checkpoint unreadable (not a checkpoint or an older format)';
    const length = prefix.readUInt32BE(MAGIC.length + 32);
    if (PREFIX_BYTES + length > size) return 'checkpoint corrupt (truncated header)';
    const json = read(length, PREFIX_BYTES);
    const hash = createHash('sha256').update(prefix.subarray(MAGIC.length + 32)).update(json);
    let header: CheckpointHeader;
    try {
      header = JSON.parse(json.toString('utf8')) as CheckpointHeader;
    } catch {
      return 'checkpoint corrupt (header)';
    }
    if (header.format !== 2 || !Array.isArray(header.views)) return 'checkpoint unreadable (unknown format)';
    if (PREFIX_BYTES + length + header.views.reduce((n, v) => n + v.bytes, 0) !== size) return 'checkpoint corrupt (lengths do not add up)';
    const sections = new Map<string, Buffer>();
    let at = PREFIX_BYTES + length;
    for (const v of header.views) {
      const section = read(v.bytes, at);
      hash.update(section);
      sections.set(v.name, section);
      at += v.bytes;
    }
    if (!hash.digest().equals(prefix.subarray(MAGIC.length, MAGIC.length + 32))) return 'checkpoint corrupt (checksum mismatch)';
    return {
      header,
      state: (name) => {
        const section = sections.get(name)!;
        sections.delete(name);
        return deserialize(section);
      },
    };
  } finally {
    closeSync(fd);
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
  private lastEvent: CheckpointHeader['lastEvent'] = null;
  private waiters: Array<{ position: bigint; resolve: () => void }> = [];
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;
  private savedPosition = -1n;
  private saving?: Promise<void>;
  private restoredMs: Record<string, number> = {};
  private log?: RunnerOptions['log'];
  private readonly fingerprints = new Map<string, string>();
  private readonly durable: DurableView[];
  /** Durable views whose last write failed: fed from the ledger by catchUp() until they are back at the live edge. */
  private readonly lagging = new Set<DurableView>();
  private closed = false;
  private failure?: Error;
  caughtUp = false;
  /** Ledger head when start() was called; the views are "caught up" once they reach it. */
  startHead = 0n;

  constructor(
    private readonly store: EventStore,
    private readonly projections: Projection<any>[],
    private readonly options: RunnerOptions = {},
  ) {
    this.log = options.log;
    this.durable = options.durable ?? [];
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

  /** Where every view stands: the least position of the in-memory views and the durable ones. */
  get position(): bigint {
    let position = this.current;
    for (const d of this.durable) if (d.position() < position) position = d.position();
    return position;
  }

  view<S>(p: Projection<S>): S {
    return this.states.get(p.name) as S;
  }

  /** Loads a valid checkpoint (or starts from zero), then follows the ledger; resolves once caught up. */
  async start(): Promise<void> {
    this.startHead = await this.store.headPosition();
    await this.restore();
    for (const d of this.durable) await this.checkDurable(d);
    const caughtUp = this.waitFor(this.startHead, Number.POSITIVE_INFINITY).then(() => {
      this.caughtUp = true;
    });
    this.subscription = this.store.subscribe(this.position, (batch) => this.apply(batch), {
      onError: (err) => {
        this.failure = err;
        this.log?.warn({ err: err.message }, 'projection subscription failed');
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

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.subscription?.close();
    await this.saving;
    if (this.options.writeCheckpoints) await this.saveCheckpoint();
    this.closed = true;
    for (const d of this.durable) d.close();
  }

  /**
   * A durable view that cannot write (disk full, file locked too long) must not stop the in-memory
   * views, nor skip events: it falls behind, and is fed from the ledger until it is back at the edge.
   * Until then `position` — and so read-your-writes and readiness — waits for it.
   */
  private applyDurable(d: DurableView, batch: RecordedEvent[]): void {
    try {
      d.apply(batch);
    } catch (err) {
      this.lagging.add(d);
      this.log?.warn({ view: d.name, err: (err as Error).message }, 'view could not be written; catching up from the ledger');
      setTimeout(() => void this.catchUp(d), 1000).unref();
    }
  }

  private async catchUp(d: DurableView): Promise<void> {
    try {
      for (;;) {
        if (this.closed) return;
        const events = await this.store.readAll(d.position(), 1000);
        if (events.length === 0) break;
        d.apply(events);
        this.resolveWaiters();
      }
      this.lagging.delete(d);
      this.resolveWaiters();
      this.log?.info({ view: d.name, position: d.position().toString() }, 'view caught up');
    } catch (err) {
      if (this.closed) return;
      this.log?.warn({ view: d.name, err: (err as Error).message }, 'view still cannot be written; trying again');
      setTimeout(() => void this.catchUp(d), 1000).unref();
    }
  }

  /** A durable view ahead of this ledger, or whose last event is not where it was, is from another ledger: rebuilt. */
  private async checkDurable(d: DurableView): Promise<void> {
    const position = d.position();
    if (position === 0n) return;
    let reason: string | undefined;
    const last = d.lastEvent();
    if (position > this.startHead) reason = 'ahead of the ledger';
    else if (last) {
      const [event] = await this.store.readStream(last.stream, last.revision);
      if (!event || event.id !== last.id || event.position !== position) reason = 'from another ledger';
    }
    if (reason) {
      d.reset();
      this.log?.warn({ view: d.name, reason }, 'view rebuilt from the start of the ledger');
    }
  }

  private apply(batch: RecordedEvent[]): void {
    for (const d of this.durable) if (!this.lagging.has(d)) this.applyDurable(d, batch);
    for (const event of batch) {
      if (event.position <= this.current) continue;
      const reducers = this.byType.get(event.type);
      if (reducers) for (const r of reducers) this.states.set(r.name, r.reduce(this.states.get(r.name), event));
      this.current = event.position;
    }
    const last = batch[batch.length - 1];
    if (last && last.position === this.current) this.lastEvent = { id: last.id, stream: last.stream, revision: last.revision };
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
    const file = this.checkpointFile();
    if (!file || !existsSync(file)) return;
    const started = performance.now();
    const reason = await this.tryRestore(file);
    if (reason) {
      this.reset();
      const log = this.log;
      if (/corrupt|unreadable/.test(reason)) log?.warn({ reason }, 'views rebuilt from the start of the ledger');
      else log?.info({ reason }, 'views rebuilt from the start of the ledger');
    } else {
      const ms = Math.round(performance.now() - started);
      this.log?.info({ position: this.current.toString(), ms, perView: this.restoredMs }, 'views restored from checkpoint');
    }
  }

  /** Returns why the checkpoint could not be used, or undefined when the views were restored. */
  private async tryRestore(file: string): Promise<string | undefined> {
    let cp: DecodedCheckpoint | string;
    try {
      cp = readCheckpoint(file);
    } catch {
      return 'checkpoint unreadable';
    }
    if (typeof cp === 'string') return cp;
    const { header } = cp;
    const position = BigInt(header.position);
    if (position > this.startHead) return 'checkpoint is ahead of the ledger';
    if (header.lastEvent) {
      const [event] = await this.store.readStream(header.lastEvent.stream, header.lastEvent.revision);
      if (!event || event.id !== header.lastEvent.id || event.position !== position) return 'checkpoint is from another ledger';
    }
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

  /** One save at a time; the views are serialised synchronously (a consistent cut), written asynchronously. */
  private saveCheckpoint(): Promise<void> {
    if (this.saving) return this.saving;
    const file = this.checkpointFile();
    if (!file || this.current === this.savedPosition || !this.caughtUp) return Promise.resolve();
    const views = this.projections.map((p) => {
      const state = this.states.get(p.name);
      return { name: p.name, version: p.version, code: this.fingerprints.get(p.name)!, state };
    });
    const position = this.current;
    const parts = encodeCheckpoint({ format: 2, position: position.toString(), lastEvent: this.lastEvent }, views);
    this.saving = writeDurably(this.options.checkpointDir!, file, parts)
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

/**
 * Write to a temporary file, fsync it, rename it over the old one, fsync the directory: a crash at
 * any point leaves the old checkpoint or the new one, whole, and a rename that survives power loss.
 */
async function writeDurably(dir: string, file: string, parts: Buffer[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  removeAbandonedTemporaries(file);
  // Per process: instances sharing a DATA_DIR may checkpoint at the same moment.
  const tmp = `${file}.${process.pid}.tmp`;
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

/** Temporary files of processes that died mid-write (SIGKILL, power loss): as large as a checkpoint. */
function removeAbandonedTemporaries(file: string): void {
  const dir = dirname(file);
  const prefix = `${basename(file)}.`;
  for (const name of readdirSync(dir)) {
    const pid = Number(name.slice(prefix.length, -'.tmp'.length));
    if (!name.startsWith(prefix) || !name.endsWith('.tmp') || !Number.isInteger(pid) || pid === process.pid) continue;
    if (isRunning(pid)) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      // Another instance removed it first.
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
