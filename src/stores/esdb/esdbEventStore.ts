/**
 * The ledger on EventStoreDB / KurrentDB, through the official client (@kurrent/kurrentdb-client:
 * appends and subscriptions over gRPC, reads through its native bridge).
 *
 * Positions are commit positions in `$all`. Every event this client writes is an implicit
 * transaction (the gRPC API has no explicit ones), and for those the server gives each event its
 * own log record whose commit and prepare positions are both that record's offset in the
 * transaction log. Offsets only grow, so the commit position alone totally orders the ledger,
 * matches across connections and nodes (replicas copy the leader's log byte for byte), and
 * `{ commit: p, prepare: p }` is a valid place to resume reading from.
 *
 * Needs a server ≥ 22.6 (stream reads report positions) and a user that may read `$all`.
 */
import {
  BACKWARDS,
  END,
  FORWARDS,
  KurrentDBClient,
  NO_STREAM,
  NotLeaderError,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  type AllStreamResolvedEvent,
  type Direction,
  type AppendStreamState,
  type JSONType,
  type ResolvedEvent,
} from '@kurrent/kurrentdb-client';
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
import { sealMetadata } from '../../eventsourcing/integrity.js';
import { withCurrentScheme } from './connectionString.js';
import {
  describeConnectionStringError,
  describeTarget,
  isAccessDenied,
  isOutcomeUnknown,
  reasonOf,
  translateError,
} from './errors.js';
import { at, isLedgerEvent, positionOf, toRecorded, type EsdbRecorded } from './records.js';
import { EsdbSubscription } from './subscription.js';

const OPEN_TIMEOUT_MS = 5_000;
// The client puts no deadline on streaming reads, so reads get one here.
const READ_TIMEOUT_MS = 10_000;
const APPEND_DEADLINE_MS = 10_000;
/**
 * How long one append keeps trying: lost races with other writers, a leader change, and an attempt
 * whose outcome is unknown (retried with the same ids, so a write that did land is recognised).
 */
const APPEND_BUDGET_MS = 30_000;
const MAX_APPEND_BACKOFF_MS = 500;
// With 'any' or 'stream_exists' the first attempt has no revision to read from: a repeat is
// recognised while its events are among this many past the stream's tail.
const IDEMPOTENCY_LOOKBACK = 16;
const PAGE = 256;

/** Page sizes from `first`, growing fourfold up to `max`. */
function* pageSizes(first: number, max: number): Generator<number> {
  for (let size = first; ; size = Math.min(max, size * 4)) yield size;
}

interface EsdbTiming {
  appendBudgetMs?: number;
}

function meets(expected: ExpectedRevision, last: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return last < 0;
  if (expected === 'stream_exists') return last >= 0;
  return last === expected;
}

const actualOf = (last: number): number | 'no_stream' => (last < 0 ? 'no_stream' : last);

/** Another writer got in between our read of the tail and our append (the append was refused). */
class LostRace extends Error {
  constructor(readonly actual: number | 'no_stream') {
    super('another writer appended first');
  }
}

/** The append was sent after revision `after` and no answer came: it may have been written. */
class OutcomeUnknown extends Error {
  constructor(
    readonly after: number,
    override readonly cause: unknown,
  ) {
    super('append outcome unknown');
  }
}

class EsdbEventStore implements EventStore {
  readonly kind = 'esdb' as const;
  private readonly subscriptions = new Set<EsdbSubscription>();
  private readonly appendBudgetMs: number;

  constructor(
    private readonly client: KurrentDBClient,
    readonly target: string,
    timing: EsdbTiming = {},
  ) {
    this.appendBudgetMs = timing.appendBudgetMs ?? APPEND_BUDGET_MS;
  }

  /** One cheap read, so a wrong address or credentials fail at start-up rather than at first use. */
  async probe(): Promise<void> {
    await this.collect(
      this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1, requiresLeader: true }),
      OPEN_TIMEOUT_MS,
    );
  }

  async append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (events.length === 0) throw new TypeError('append needs at least one event');
    const started = Date.now();
    // Revision after which an earlier attempt of this call may have landed (its outcome is unknown).
    let unknownAfter: number | undefined;
    let lastFailure: unknown;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        if (Date.now() - started >= this.appendBudgetMs) break;
        await sleep(Math.random() * Math.min(MAX_APPEND_BACKOFF_MS, 10 * 2 ** attempt));
      }
      try {
        return await this.tryAppend(stream, events, expected, unknownAfter);
      } catch (err) {
        lastFailure = err;
        if (err instanceof OutcomeUnknown) {
          unknownAfter = err.after;
          continue;
        }
        // NotLeader: the client has already reconnected to the new leader; try there.
        if (err instanceof LostRace || err instanceof NotLeaderError) continue;
        // A read failed before anything was sent; after an unknown outcome it must still be settled here.
        if (err instanceof StoreUnavailableError && !isAccessDenied(err.cause)) continue;
        throw translateError(err, this.target);
      }
    }
    if (lastFailure instanceof LostRace) throw new ConcurrencyError(stream, expected, lastFailure.actual);
    const cause = lastFailure instanceof OutcomeUnknown ? lastFailure.cause : lastFailure;
    const error = translateError(cause, this.target);
    if (unknownAfter === undefined) throw error;
    throw new StoreUnavailableError(
      `${error.message}; whether the append to ${stream} was written is unknown (retry it with the same event ids)`,
      { cause },
    );
  }

  /** Reads the stream's tail, decides, seals the hash chain onto it and appends right after it. */
  private async tryAppend(
    stream: string,
    events: NewEvent[],
    expected: ExpectedRevision,
    unknownAfter: number | undefined,
  ): Promise<AppendResult> {
    const ids = events.map((e) => e.id.toLowerCase());
    // Where these events start if they were written already: the server checks idempotency there too.
    const from =
      unknownAfter !== undefined
        ? unknownAfter + 1
        : typeof expected === 'number'
          ? expected + 1
          : expected === 'no_stream'
            ? 0
            : undefined;
    const tail = await this.tail(stream, from === undefined ? events.length + IDEMPOTENCY_LOOKBACK : 1);
    const newest = tail[tail.length - 1];
    const last = newest ? Number(newest.revision) : -1;
    const candidates = from === undefined ? tail : from <= last ? await this.readFrom(stream, from, ids.length) : [];

    // A retry of an append that already landed (the caller saw a timeout, or raced itself).
    const start = candidates.findIndex((e) => ids.includes(e.id));
    if (start >= 0) {
      const run = candidates.slice(start, start + ids.length);
      if (run.length === ids.length && run.every((e, i) => e.id === ids[i])) {
        const lastOfRun = run[run.length - 1];
        return { nextRevision: Number(lastOfRun.revision), position: positionOf(lastOfRun) };
      }
      throw new ConcurrencyError(
        stream,
        expected,
        actualOf(last),
        `stream ${stream}: some of these event ids were already appended in another batch`,
      );
    }
    if (!meets(expected, last)) throw new ConcurrencyError(stream, expected, actualOf(last));

    const prevHash = newest ? (newest.metadata as Partial<EventMetadata> | undefined)?.hash : '';
    if (typeof prevHash !== 'string') {
      throw new StoreCorruptError(
        `stream ${stream} in EventStoreDB at ${this.target} ends with an event that has no integrity hash`,
      );
    }
    // Expect the exact revision just read, not the caller's expectation: a writer that slipped in
    // between must make this append fail, or the hash chain would fork.
    const streamState: AppendStreamState = newest ? BigInt(last) : NO_STREAM;
    let result: Awaited<ReturnType<KurrentDBClient['appendToStream']>>;
    try {
      result = await this.client.appendToStream(stream, chain(stream, events, last, prevHash), {
        streamState,
        deadline: APPEND_DEADLINE_MS,
        requiresLeader: true,
      });
    } catch (err) {
      if (err instanceof WrongExpectedVersionError) {
        const actual = err.actualState;
        throw new LostRace(typeof actual === 'bigint' ? Number(actual) : 'no_stream');
      }
      if (isOutcomeUnknown(err)) throw new OutcomeUnknown(last, err);
      throw err;
    }
    // With throwOnAppendFailure=false the client reports a refused append as a result, not an error.
    if (!result.success) throw new LostRace(actualOf(Number(result.nextExpectedRevision)));
    const nextRevision = Number(result.nextExpectedRevision);
    if (nextRevision !== last + events.length) {
      // A soft-deleted (or truncated) stream keeps numbering: the hashes sealed above would not match.
      throw new StoreCorruptError(
        `EventStoreDB at ${this.target} wrote ${stream} events ${last + 1}..${last + events.length} at revision ` +
          `${nextRevision}: the stream was deleted or truncated; ledger streams never are`,
      );
    }
    // The server reports the position of the append's last event, which is that event's position in $all.
    if (result.position) return { nextRevision, position: result.position.commit };
    const [written] = await this.tail(stream, 1);
    return { nextRevision, position: positionOf(written) };
  }

  async readStream(stream: string, fromRevision = 0): Promise<RecordedEvent[]> {
    const read = await this.readStreamRaw(stream, {
      direction: FORWARDS,
      fromRevision: BigInt(fromRevision),
      requiresLeader: true,
    });
    return read.map(toRecorded);
  }

  /** System events are skipped here, so paging needs nothing of the server but positions. */
  async readAll(after: bigint, limit: number): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    if (limit <= 0) return out;
    const size = Math.min(PAGE, Math.max(limit, 32));
    for await (const event of this.walkAll(FORWARDS, after, pageSizes(size, size))) {
      if (!isLedgerEvent(event)) continue;
      out.push(toRecorded(event));
      if (out.length === limit) break;
    }
    return out;
  }

  async headPosition(): Promise<bigint> {
    // Usually the newest event is the ledger's: start small, read more only past system events.
    for await (const event of this.walkAll(BACKWARDS, undefined, pageSizes(8, PAGE))) {
      if (isLedgerEvent(event)) return event.position.commit;
    }
    return 0n;
  }

  /**
   * The events of $all one way from `cursor` (undefined: from the end), each once: reading from a position includes
   * the event at it, which is passed over. Ends at the end of $all, or at a page that brought nothing new.
   */
  private async *walkAll(
    direction: Direction,
    cursor: bigint | undefined,
    sizes: Iterable<number>,
  ): AsyncGenerator<NonNullable<AllStreamResolvedEvent['event']>> {
    for (const size of sizes) {
      const page = await this.collect(
        this.client.readAll({
          direction,
          fromPosition: cursor === undefined ? END : direction === FORWARDS && cursor === 0n ? START : at(cursor),
          maxCount: size,
          requiresLeader: true,
        }),
      );
      let advanced = false;
      for (const { event } of page) {
        if (!event) continue;
        const position = event.position.commit;
        if (cursor !== undefined && (direction === FORWARDS ? position <= cursor : position >= cursor)) continue;
        cursor = position;
        advanced = true;
        yield event;
      }
      if (page.length < size || !advanced) return;
    }
  }

  subscribe(after: bigint, handler: BatchHandler, options: SubscribeOptions = {}): Subscription {
    const open = (from: bigint) =>
      this.client.subscribeToAll({
        fromPosition: from === 0n ? START : at(from),
        filter: excludeSystemEvents(),
        requiresLeader: true,
      });
    const sub = new EsdbSubscription(open, this.target, after, handler, options, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    return sub;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.client.dispose();
  }

  /** The last `count` events of a stream, oldest first; [] when it does not exist. */
  private async tail(stream: string, count: number): Promise<EsdbRecorded[]> {
    // From the leader: a lagging follower would make every attempt conflict.
    const read = await this.readStreamRaw(stream, {
      direction: BACKWARDS,
      fromRevision: END,
      maxCount: count,
      requiresLeader: true,
    });
    return read.reverse();
  }

  /** Up to `count` events of a stream from revision `from`, from the leader. */
  private readFrom(stream: string, from: number, count: number): Promise<EsdbRecorded[]> {
    return this.readStreamRaw(stream, {
      direction: FORWARDS,
      fromRevision: BigInt(from),
      maxCount: count,
      requiresLeader: true,
    });
  }

  private async readStreamRaw(
    stream: string,
    options: Parameters<KurrentDBClient['readStream']>[1],
  ): Promise<EsdbRecorded[]> {
    try {
      const read = await this.collect<ResolvedEvent>(this.client.readStream(stream, options));
      return read.flatMap((r) => (r.event ? [r.event] : []));
    } catch (err) {
      if (err instanceof StreamNotFoundError) return [];
      throw err;
    }
  }

  /** Drains a read, giving up (and ending it) after `ms`. */
  private async collect<E = AllStreamResolvedEvent>(
    read: AsyncIterableIterator<E>,
    ms = READ_TIMEOUT_MS,
  ): Promise<E[]> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // The client's reads are async generators with no cancel(): return() ends one at its next step.
        void read.return?.()?.catch(() => undefined);
        const reason = new Error(`no answer within ${ms / 1000} s`);
        reject(new StoreUnavailableError(`EventStoreDB at ${this.target} gave ${reason.message}`, { cause: reason }));
      }, ms);
    });
    const drained = (async () => {
      const out: E[] = [];
      for await (const item of read) out.push(item);
      return out;
    })();
    drained.catch(() => undefined);
    try {
      return await Promise.race([drained, timedOut]);
    } catch (err) {
      // Left for the callers that expect them: a missing stream is empty, a leader change is retried.
      if (err instanceof StreamNotFoundError || err instanceof NotLeaderError) throw err;
      throw translateError(err, this.target);
    } finally {
      clearTimeout(timer);
    }
  }
}

function chain(stream: string, events: NewEvent[], last: number, prevHash: string) {
  let prev = prevHash;
  return events.map((e, i) => {
    if (e.data === undefined) throw new TypeError(`event ${e.id} has no data`);
    // The server hands ids back in lower case; hash what will be read back.
    const event = { ...e, id: e.id.toLowerCase() };
    const metadata = sealMetadata(event, stream, last + 1 + i, prev);
    prev = metadata.hash;
    return jsonEvent({ id: event.id, type: event.type, data: event.data as JSONType, metadata });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The ledger over an already made client (what tests hand a stand-in for the server to). */
export function esdbEventStoreOver(client: KurrentDBClient, target: string, timing?: EsdbTiming): EventStore {
  return new EsdbEventStore(client, target, timing);
}

/**
 * Connects to EventStoreDB / KurrentDB (a `kurrentdb://`, `kurrent://`, `kdb://` or legacy `esdb://`
 * connection string, each also `+discover`) and checks, within a few seconds, that it answers.
 */
export async function openEsdbEventStore(connectionString: string): Promise<EventStore> {
  const target = describeTarget(connectionString);
  let client: KurrentDBClient;
  try {
    client = KurrentDBClient.connectionString(withCurrentScheme(connectionString));
  } catch (err) {
    throw new Error(`invalid EventStoreDB connection string for ${target}: ${describeConnectionStringError(err)}`);
  }
  // The getter is protected in the typings but is how the client itself reads the parsed option.
  if ((client as unknown as { throwOnAppendFailure?: boolean }).throwOnAppendFailure === false) {
    await client.dispose().catch(() => undefined);
    throw new Error(
      `invalid EventStoreDB connection string for ${target}: throwOnAppendFailure=false is not supported ` +
        `(remove it; the ledger relies on refused appends being errors)`,
    );
  }
  const store = new EsdbEventStore(client, target);
  try {
    await store.probe();
  } catch (err) {
    await client.dispose().catch(() => undefined);
    const reason = reasonOf(err instanceof StoreUnavailableError && err.cause !== undefined ? err.cause : err);
    throw new StoreUnavailableError(`cannot open the EventStoreDB ledger at ${target}: ${reason}`, { cause: err });
  }
  return store;
}
