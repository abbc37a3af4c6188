import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import type { AppliedEvent, DurableView } from '../src/eventsourcing/durableView.js';
import { HistoryIndex } from './historyIndex.js';
import { toWire, type FromThread, type ToThread } from './historyWire.js';

type Waiter = { resolve: () => void; reject: (err: Error) => void };

/**
 * The history index written on a thread of its own (historyIndexWorker.ts). Its transactions (inserts into a table
 * with six indexes, the counts, the activity rows) cost the main thread, which serves every request, more than the
 * in-memory views of an issuance; here the main thread only posts each batch and keeps the position the thread
 * reports, which the runner and the metrics read synchronously. Reads (HistoryQueries) go through a connection of
 * the main thread: WAL lets it read beside the writer, and since each batch is one transaction, a read sees whole
 * batches only.
 */
export class ThreadedHistoryIndex implements DurableView {
  readonly name = 'history';
  /** For reads only (query_only): every write goes through the thread, in order. */
  readonly db: Database.Database;
  private readonly reader: HistoryIndex;
  private reached: bigint;
  private last: AppliedEvent | null;
  private worker?: Worker;
  private failure?: Error;
  /** A thread ended: the next one refuses batches until the ledger refills what the last may have lost. */
  private ended = false;
  private nextId = 0;
  /** Answers to what was posted before the last reset tell of rows it dropped. */
  private resetId = -1;
  private readonly waiting = new Map<number, Waiter>();
  private closing?: Promise<void>;

  constructor(private readonly file: string) {
    // Made (or rebuilt, when of another schema version) here and now, so the tables exist before the first read.
    this.reader = new HistoryIndex(file);
    ({ position: this.reached, last: this.last } = this.reader.stored());
    this.db = this.reader.db;
    this.db.pragma('query_only = ON');
    this.worker = this.spawn();
  }

  /** The position the thread last reported (what a read after `settle` sees at least). */
  position(): bigint {
    return this.reached;
  }

  lastEvent(): AppliedEvent | null {
    return this.last;
  }

  /** Settles once the thread has written the batch and reported its position, or refused it. */
  apply(batch: RecordedEvent[], fromLedger = false): Promise<void> {
    const events = toWire(batch, this.reached);
    if (events.length === 0) return Promise.resolve();
    return this.post((id) => ({ kind: 'apply', id, events, fromLedger }));
  }

  /** Empty at once for the caller (position 0); the thread empties the file before it applies anything else. */
  reset(): void {
    this.reached = 0n;
    this.last = null;
    // A failed reset leaves the thread refusing batches until the ledger feeds it; it resets first then.
    this.post((id) => ({ kind: 'reset', id: (this.resetId = id) })).catch(() => undefined);
  }

  /** Resolves once every batch posted before is written (or refused) and the thread has ended. */
  close(): Promise<void> {
    return (this.closing ??= this.stop());
  }

  private async stop(): Promise<void> {
    const worker = this.worker;
    if (worker) {
      const ended = new Promise((resolve) => worker.once('exit', resolve));
      worker.ref();
      worker.postMessage({ kind: 'close' } satisfies ToThread);
      await ended;
    }
    this.reader.close();
  }

  private post(message: (id: number) => ToThread): Promise<void> {
    if (this.closing) return Promise.reject(new Error('the history index is closed'));
    const worker = (this.worker ??= this.spawn());
    const id = this.nextId++;
    const m = message(id);
    return new Promise((resolve, reject) => {
      // Held open only while batches are on their way: an idle index never keeps a process from ending.
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(id, { resolve, reject });
      worker.postMessage(m);
    });
  }

  private answer(reply: FromThread): void {
    const waiter = this.waiting.get(reply.id);
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) this.worker?.unref();
    if (!reply.ok) return waiter?.reject(new Error(reply.error));
    if (reply.id >= this.resetId) {
      this.reached = BigInt(reply.position);
      this.last = reply.last;
    }
    waiter?.resolve();
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./historyIndexWorker.js', import.meta.url), {
      workerData: { file: this.file, refusing: this.ended },
    });
    worker.unref();
    worker.on('message', (reply: FromThread) => this.answer(reply));
    // Without a listener an error in the thread would end the server; it ends the thread, and `exit` follows.
    worker.on('error', (err) => (this.failure = err));
    worker.once('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      this.ended = true;
      const err = this.failure ?? new Error('the history index thread ended');
      this.failure = undefined;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    });
    return worker;
  }
}
