import { ensurePrivateDir, ensurePrivateFile } from '../../config/privateFiles.js';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import {
  ConcurrencyError,
  StoreCorruptError,
  StoreUnavailableError,
  type AppendResult,
  type BatchHandler,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../../eventsourcing/eventStore.js';
import { configure, ensureSchema } from './schema.js';
import { toRecorded, type EventRow } from './rows.js';
import { LiveSubscribers } from '../liveSubscribers.js';
import { registerThread } from '../threadCpu.js';
import type { AppendReply, AppendRequest, SerialisedEvent, WriterReply, WriterStats } from './protocol.js';
import { activeTracing } from '../../tracing/active.js';
import type { Span } from '@opentelemetry/api';

/** How often to look for commits made by another process (the CLI, a second instance). */
const CROSS_PROCESS_POLL_MS = 100;
const PAGE = 2000;

export interface SqliteStoreOptions {
  /** Told about every group commit, for metrics. */
  onBatch?: (stats: WriterStats) => void;
  /** A module the writer thread loads and calls around each commit (src/stores/sqlite/writerHooks.ts); tests only. */
  writerHooks?: URL;
}

interface Pending {
  resolve: (r: AppendResult) => void;
  reject: (e: Error) => void;
  stream: string;
  expected: ExpectedRevision;
  events: SerialisedEvent[];
  /** The wait for this request's group commit, when tracing is on. */
  span?: Span;
}

class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite' as const;
  private readonly pending = new Map<number, Pending>();
  private outbox: AppendRequest[] = [];
  private writerGone?: Error;
  private nextReqId = 1;
  private readonly subscribers = new LiveSubscribers<LiveSubscription>();
  private readonly poll: NodeJS.Timeout;
  private dataVersion: number;
  private closed = false;
  private readonly readAllStmt;
  private readonly readStreamStmt;
  private readonly headStmt;

  constructor(
    private readonly db: Database.Database,
    private readonly writer: Worker,
    private readonly options: SqliteStoreOptions,
  ) {
    this.readAllStmt = db.prepare<[number, number], EventRow>(
      'SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?',
    );
    this.readStreamStmt = db.prepare<[string, number], EventRow>(
      'SELECT * FROM events WHERE stream = ? AND revision >= ? ORDER BY revision',
    );
    this.headStmt = db.prepare<[], { head: number | null }>('SELECT max(position) AS head FROM events');
    this.dataVersion = this.readDataVersion();
    writer.on('message', (msg: WriterReply) => this.onWriterMessage(msg));
    writer.on('error', (err) => this.failPending(new StoreUnavailableError(`ledger writer failed: ${err.message}`)));
    writer.on('exit', () => this.failPending(new StoreUnavailableError('ledger writer stopped')));
    // PRAGMA data_version changes when another connection commits: a cheap check, no busy loop.
    this.poll = setInterval(() => this.checkForeignCommits(), CROSS_PROCESS_POLL_MS);
    this.poll.unref();
  }

  append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('ledger is closed'));
    if (this.writerGone) return Promise.reject(this.writerGone);
    if (events.length === 0) return Promise.reject(new TypeError('append needs at least one event'));
    const reqId = this.nextReqId++;
    return new Promise<AppendResult>((resolve, reject) => {
      let request: AppendRequest;
      try {
        request = { reqId, stream, events: events.map(serialise), expected };
      } catch (err) {
        reject(new TypeError(`event is not serialisable: ${(err as Error).message}`));
        return;
      }
      // The commit happens in the writer thread: the span is the wait for it, told the batch it was committed in.
      const span = activeTracing()?.tracer.startSpan('sqlite group commit', {
        attributes: { 'db.system.name': 'sqlite', 'token_ledger.events': events.length },
      });
      this.pending.set(reqId, { resolve, reject, stream, expected, events: request.events, span });
      // Appends made in the same tick travel to the writer together; the writer commits everything
      // that reached it while its previous commit was being made durable in one transaction.
      this.outbox.push(request);
      if (this.outbox.length === 1) setImmediate(() => this.sendOutbox());
    });
  }

  private sendOutbox(): void {
    if (this.outbox.length === 0) return;
    const batch = this.outbox;
    this.outbox = [];
    this.writer.postMessage(batch);
  }

  async readStream(stream: string, fromRevision = 0): Promise<RecordedEvent[]> {
    return this.readStreamStmt.all(stream, fromRevision).map(toRecorded);
  }

  async readAll(after: bigint, limit: number): Promise<RecordedEvent[]> {
    return this.readAllSync(after, limit);
  }

  async headPosition(): Promise<bigint> {
    const head = BigInt(this.headStmt.get()?.head ?? 0);
    // Another process's commits are otherwise noticed on the next poll.
    this.subscribers.catchUp(head);
    return head;
  }

  subscribe(after: bigint, handler: BatchHandler, options: SubscribeOptions = {}): Subscription {
    return this.subscribers.start(new LiveSubscription(after, handler, options, this));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.poll);
    await this.subscribers.stopAll();
    // The writer commits what it holds before it exits, so no acknowledged append is lost.
    const exited = new Promise((resolve) => this.writer.once('exit', resolve));
    this.writer.postMessage('close');
    await exited;
    this.db.close();
  }

  /** @internal used by subscriptions */
  readAllSync(after: bigint, limit: number): RecordedEvent[] {
    return this.readAllStmt.all(Number(after), limit).map(toRecorded);
  }

  private onWriterMessage({ replies, stats }: WriterReply): void {
    this.options.onBatch?.(stats);
    const written = this.subscribers.size > 0 ? writtenEvents(replies, this.pending) : undefined;
    for (const sub of this.subscribers) sub.pump(written);
    for (const msg of replies) {
      const p = this.pending.get(msg.reqId);
      if (!p) continue;
      this.pending.delete(msg.reqId);
      if (p.span) endCommitSpan(p.span, stats, msg.ok ? undefined : msg);
      if (msg.ok) p.resolve({ nextRevision: msg.nextRevision, position: BigInt(msg.position) });
      else if (msg.kind === 'conflict') p.reject(new ConcurrencyError(p.stream, p.expected, msg.actual, msg.message));
      else p.reject(new StoreUnavailableError(msg.message));
    }
  }

  private failPending(err: Error): void {
    this.writerGone ??= err;
    this.outbox = [];
    for (const p of this.pending.values()) {
      if (p.span) endCommitSpan(p.span, undefined, { kind: 'unavailable', message: err.message });
      p.reject(err);
    }
    this.pending.clear();
  }

  private readDataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  private checkForeignCommits(): void {
    if (this.subscribers.size === 0) return;
    const version = this.readDataVersion();
    if (version !== this.dataVersion) {
      this.dataVersion = version;
      this.subscribers.pumpAll();
    }
  }
}

function endCommitSpan(
  span: Span,
  stats: WriterStats | undefined,
  failure: { kind: string; message: string } | undefined,
): void {
  if (stats)
    span.setAttributes({
      'token_ledger.batch.size': stats.size,
      'token_ledger.batch.commit_ms': Math.round(stats.seconds * 1e6) / 1e3,
    });
  if (failure) span.setAttribute('error.type', failure.kind);
  // A conflict is a lost race, decided again by execute; 2 is SpanStatusCode.ERROR, written out so that this module
  // loads nothing of OpenTelemetry.
  if (failure?.kind === 'unavailable') span.setStatus({ code: 2, message: failure.message });
  span.end();
}

function serialise(e: NewEvent): SerialisedEvent {
  return { id: e.id, type: e.type, dataJson: JSON.stringify(e.data), metadataJson: JSON.stringify(e.metadata) };
}

/**
 * The events one group commit inserted, rebuilt from what this process sent and what the writer
 * answered — exactly what reading them back would return (parsed from the same JSON) — or
 * undefined when they do not form one gap-free run (an idempotent repeat, a rejected request),
 * in which case subscribers read the ledger as usual.
 */
function writtenEvents(replies: AppendReply[], pending: Map<number, Pending>): RecordedEvent[] | undefined {
  const out: RecordedEvent[] = [];
  for (const reply of replies) {
    if (!reply.ok) continue;
    const p = pending.get(reply.reqId);
    if (!p || !reply.written) return undefined;
    const { prevHash, hashes, recordedAt } = reply.written;
    const n = p.events.length;
    for (let i = 0; i < n; i++) {
      const e = p.events[i];
      const metadata = JSON.parse(e.metadataJson) as EventMetadata;
      metadata.prevHash = i === 0 ? prevHash : hashes[i - 1];
      metadata.hash = hashes[i];
      const position = BigInt(reply.position - (n - 1 - i));
      if (out.length > 0 && position !== out[out.length - 1].position + 1n) return undefined;
      out.push({
        id: e.id,
        type: e.type,
        stream: p.stream,
        revision: reply.nextRevision - (n - 1 - i),
        position,
        recordedAt: new Date(recordedAt),
        data: JSON.parse(e.dataJson) as unknown,
        metadata,
      });
    }
  }
  return out.length > 0 ? out : undefined;
}

/** Delivers pages in order; a pump request while a delivery runs is remembered, never run twice at once. */
class LiveSubscription {
  private running = false;
  private written?: RecordedEvent[];
  private again = false;
  private stopped = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private last: bigint,
    private readonly handler: BatchHandler,
    private readonly options: SubscribeOptions,
    private readonly store: SqliteEventStore,
  ) {}

  /** `written`: events this process just committed, delivered without a read when they follow on. */
  pump(written?: RecordedEvent[]): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (written && written[0].position === this.last + 1n) this.written = written;
    this.running = true;
    this.done = this.drain().finally(() => {
      this.running = false;
    });
  }

  private async drain(): Promise<void> {
    try {
      do {
        this.again = false;
        for (;;) {
          if (this.stopped) return;
          const written = this.written;
          this.written = undefined;
          const page = written ?? this.store.readAllSync(this.last, PAGE);
          if (page.length === 0) break;
          await this.handler(page);
          this.last = page[page.length - 1].position;
          // Later commits (ours or another process's) announce themselves with another pump.
          if (written) break;
        }
      } while (this.again);
    } catch (err) {
      this.stopped = true;
      this.options.onError?.(err as Error);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  behind(head: bigint): boolean {
    return !this.stopped && this.last < head;
  }
}

/** Opens (creating when absent) the embedded ledger in one SQLite file. */
export async function openSqliteEventStore(file: string, options: SqliteStoreOptions = {}): Promise<EventStore> {
  // Owner-only from the first byte (src/config/privateFiles.ts); -wal and -shm take the file's mode.
  ensurePrivateDir(dirname(file));
  const created = ensurePrivateFile(file);
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (err) {
    if (!created)
      throw new StoreCorruptError(`${file} is not a token-ledger ledger: ${(err as Error).message}`, { cause: err });
    throw new StoreUnavailableError(`cannot open ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // Checked before any pragma writes, so a foreign file is left exactly as it was.
    ensureSchema(db, file);
    configure(db);
  } catch (err) {
    db.close();
    throw err;
  }
  const threadIdCell = new Int32Array(new SharedArrayBuffer(4));
  const writer = new Worker(new URL('./writer.js', import.meta.url), {
    workerData: { file, hooksModule: options.writerHooks?.href, threadIdCell },
  });
  // The latest store's writer is the one reported (a process serves one ledger; tests open several).
  writer.once(
    'exit',
    registerThread('ledger-writer', () => Atomics.load(threadIdCell, 0)),
  );
  await new Promise<void>((resolve, reject) => {
    writer.once('online', () => resolve());
    writer.once('error', reject);
  });
  return new SqliteEventStore(db, writer, options);
}
