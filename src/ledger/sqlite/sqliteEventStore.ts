import { mkdirSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import {
  ConcurrencyError,
  StoreCorruptError,
  StoreUnavailableError,
  type AppendResult,
  type BatchHandler,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../eventStore.js';
import { configure, ensureSchema } from './schema.js';
import { toRecorded, type EventRow } from './rows.js';
import type { AppendRequest, SerialisedEvent, WriterReply, WriterStats } from './protocol.js';

/** How often to look for commits made by another process (the CLI, a second instance). */
const CROSS_PROCESS_POLL_MS = 100;
const PAGE = 2000;

export interface SqliteStoreOptions {
  /** Told about every group commit, for metrics. */
  onBatch?: (stats: WriterStats) => void;
}

interface Pending {
  resolve: (r: AppendResult) => void;
  reject: (e: Error) => void;
  stream: string;
  expected: ExpectedRevision;
}

class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite' as const;
  private readonly pending = new Map<number, Pending>();
  private outbox: AppendRequest[] = [];
  private nextReqId = 1;
  private readonly subscribers = new Set<LiveSubscription>();
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
    if (events.length === 0) return Promise.reject(new TypeError('append needs at least one event'));
    const reqId = this.nextReqId++;
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.set(reqId, { resolve, reject, stream, expected });
      let request: AppendRequest;
      try {
        request = { reqId, stream, events: events.map(serialise), expected };
      } catch (err) {
        this.pending.delete(reqId);
        reject(new TypeError(`event is not serialisable: ${(err as Error).message}`));
        return;
      }
      // Appends made in the same tick travel to the writer together and share one commit.
      this.outbox.push(request);
      if (this.outbox.length === 1) setImmediate(() => this.sendOutbox());
    });
  }

  private sendOutbox(): void {
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
    return BigInt(this.headStmt.get()?.head ?? 0);
  }

  subscribe(after: bigint, handler: BatchHandler, options: SubscribeOptions = {}): Subscription {
    const sub = new LiveSubscription(after, handler, options, this);
    this.subscribers.add(sub);
    sub.pump();
    return {
      close: async () => {
        this.subscribers.delete(sub);
        await sub.stop();
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.poll);
    await Promise.all([...this.subscribers].map((s) => s.stop()));
    this.subscribers.clear();
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
    this.notifySubscribers();
    for (const msg of replies) {
      const p = this.pending.get(msg.reqId);
      if (!p) continue;
      this.pending.delete(msg.reqId);
      if (msg.ok) p.resolve({ nextRevision: msg.nextRevision, position: BigInt(msg.position) });
      else if (msg.kind === 'conflict') p.reject(new ConcurrencyError(p.stream, p.expected, msg.actual, msg.message));
      else p.reject(new StoreUnavailableError(msg.message));
    }
  }

  private failPending(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
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
      this.notifySubscribers();
    }
  }

  private notifySubscribers(): void {
    for (const sub of this.subscribers) sub.pump();
  }
}

function serialise(e: NewEvent): SerialisedEvent {
  return { id: e.id, type: e.type, dataJson: JSON.stringify(e.data), metadataJson: JSON.stringify(e.metadata) };
}

/** Delivers pages in order; a pump request while a delivery runs is remembered, never run twice at once. */
class LiveSubscription {
  private running = false;
  private again = false;
  private stopped = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private last: bigint,
    private readonly handler: BatchHandler,
    private readonly options: SubscribeOptions,
    private readonly store: SqliteEventStore,
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

  private async drain(): Promise<void> {
    try {
      do {
        this.again = false;
        for (;;) {
          if (this.stopped) return;
          const page = this.store.readAllSync(this.last, PAGE);
          if (page.length === 0) break;
          await this.handler(page);
          this.last = page[page.length - 1]!.position;
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
}

/** Opens (creating when absent) the embedded ledger in one SQLite file. */
export async function openSqliteEventStore(file: string, options: SqliteStoreOptions = {}): Promise<EventStore> {
  mkdirSync(dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (err) {
    if (existsSync(file)) throw new StoreCorruptError(`${file} is not a token-ledger ledger: ${(err as Error).message}`, { cause: err });
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
  const writer = new Worker(new URL('./writer.js', import.meta.url), { workerData: { file } });
  await new Promise<void>((resolve, reject) => {
    writer.once('online', () => resolve());
    writer.once('error', reject);
  });
  return new SqliteEventStore(db, writer, options);
}
