/**
 * The ledger port in memory, for tests of the application layer: no files, no worker thread, no
 * sockets. It honours the same contract as the real adapters (test/contract/memory.test.ts), so a
 * use case tested over it behaves as over the embedded ledger: expected revisions, idempotent
 * re-appends, one total order from position 1, the hash chain, catch-up then live delivery.
 *
 * Every read hands out a copy, as a store that serialises does: a caller that mutates what it read
 * cannot change the ledger.
 */
import {
  ConcurrencyError,
  expectationHolds,
  type AppendResult,
  type BatchHandler,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../../src/eventsourcing/eventStore.js';
import { sealMetadata } from '../../src/eventsourcing/integrity.js';

const BATCH = 500;

/** What every connection to one in-memory ledger shares. */
class MemoryLedger {
  readonly events: RecordedEvent[] = [];
  readonly streams = new Map<string, RecordedEvent[]>();
  readonly byId = new Map<string, RecordedEvent>();
  private readonly listeners = new Set<() => void>();

  constructor(readonly now: () => number) {}

  listen(wake: () => void): () => void {
    this.listeners.add(wake);
    return () => this.listeners.delete(wake);
  }

  /** Synchronous from check to write: of two racing appends, exactly one meets its expectation. */
  append(stream: string, events: NewEvent[], expected: ExpectedRevision): AppendResult {
    const existing = this.streams.get(stream) ?? [];
    const head = existing.at(-1);
    const repeated = this.repeated(stream, events, head?.revision);
    if (repeated) return repeated;
    if (!expectationHolds(expected, head?.revision))
      throw new ConcurrencyError(stream, expected, head?.revision ?? 'no_stream');
    let revision = head?.revision ?? -1;
    let prevHash = head?.metadata.hash ?? '';
    const recordedAt = this.now();
    // JSON in and out, as a real store does: what is read back is what the hash was computed over.
    const written = events.map((e) => {
      const sealed = JSON.parse(JSON.stringify(e)) as NewEvent;
      revision += 1;
      const metadata = sealMetadata(sealed, stream, revision, prevHash);
      prevHash = metadata.hash;
      const recorded: RecordedEvent = {
        id: sealed.id,
        type: sealed.type,
        stream,
        revision,
        position: BigInt(this.events.length + 1),
        recordedAt: new Date(recordedAt),
        data: sealed.data,
        metadata,
      };
      this.events.push(recorded);
      this.byId.set(recorded.id, recorded);
      return recorded;
    });
    this.streams.set(stream, [...existing, ...written]);
    if (written.length > 0) for (const wake of this.listeners) wake();
    return { nextRevision: revision, position: written.at(-1)?.position ?? 0n };
  }

  /** The same ids appended before to this stream: answer as that append did; used elsewhere: a conflict. */
  private repeated(stream: string, events: NewEvent[], head: number | undefined): AppendResult | undefined {
    const found = events.map((e) => this.byId.get(e.id));
    if (found.every((f) => f === undefined)) return undefined;
    const consistent = found.every(
      (f, i) => f !== undefined && f.stream === stream && f.revision === found[0]!.revision + i,
    );
    if (!consistent)
      throw new ConcurrencyError(stream, 'any', head ?? 'no_stream', 'event ids already used elsewhere in the ledger');
    const last = found.at(-1)!;
    return { nextRevision: last.revision, position: last.position };
  }

  after(position: bigint, limit: number): RecordedEvent[] {
    // Positions are dense from 1: the event at position p is at index p - 1.
    return this.events.slice(Number(position), Number(position) + limit).map((e) => structuredClone(e));
  }
}

/** One connection to an in-memory ledger; `another()` opens a second one to the same ledger. */
export class MemoryEventStore implements EventStore {
  // The port names the three production adapters; positions here are dense from 1, as the embedded one's.
  readonly kind = 'sqlite' as const;
  private readonly subscriptions = new Set<Subscription>();
  private closed = false;

  private constructor(private readonly ledger: MemoryLedger) {}

  /** `now`: the recorded time of every append (epoch ms); the system clock when omitted. */
  static open(now: () => number = Date.now): MemoryEventStore {
    return new MemoryEventStore(new MemoryLedger(now));
  }

  another(): MemoryEventStore {
    return new MemoryEventStore(this.ledger);
  }

  /** Every event in position order (copies): what a test asserts was written. */
  all(): RecordedEvent[] {
    return this.ledger.after(0n, Number.MAX_SAFE_INTEGER);
  }

  // An async body runs synchronously up to its first await: the append is decided the moment it is called.
  async append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    this.check();
    return this.ledger.append(stream, events, expected);
  }

  async readStream(stream: string, fromRevision = 0): Promise<RecordedEvent[]> {
    this.check();
    const events = this.ledger.streams.get(stream) ?? [];
    return events.slice(Math.max(0, fromRevision)).map((e) => structuredClone(e));
  }

  async readAll(after: bigint, limit: number): Promise<RecordedEvent[]> {
    this.check();
    return this.ledger.after(after, limit);
  }

  async headPosition(): Promise<bigint> {
    this.check();
    return BigInt(this.ledger.events.length);
  }

  subscribe(after: bigint, handler: BatchHandler, options: SubscribeOptions = {}): Subscription {
    this.check();
    let cursor = after;
    let stopped = false;
    let wake: (() => void) | undefined;
    const unlisten = this.ledger.listen(() => wake?.());
    const pump = async () => {
      while (!stopped) {
        const batch = this.ledger.after(cursor, BATCH);
        if (batch.length === 0) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        cursor = batch.at(-1)!.position;
        await handler(batch);
      }
    };
    const subscription: Subscription = {
      close: () => {
        stopped = true;
        unlisten();
        wake?.();
        this.subscriptions.delete(subscription);
        return Promise.resolve();
      },
    };
    this.subscriptions.add(subscription);
    // Delivered from the next turn on, never inside subscribe() or append().
    setImmediate(() => {
      pump().catch((err: unknown) => {
        void subscription.close();
        options.onError?.(err instanceof Error ? err : new Error(String(err)));
      });
    });
    return subscription;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
  }

  private check(): void {
    if (this.closed) throw new Error('the in-memory ledger connection is closed');
  }
}
