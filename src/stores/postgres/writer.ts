/**
 * Appends to the PostgreSQL ledger, group-committed: every append that arrives while a commit is in
 * flight goes into the next transaction, so durability (synchronous_commit, on by default) costs
 * latency, not throughput. An append is acknowledged only after COMMIT has returned.
 *
 * Global order without skipped events: each transaction first takes one transaction-scoped advisory
 * lock (pg_advisory_xact_lock) and only then reads the ledger's head and numbers its events after
 * it. The lock is released after the commit is visible (locks are released after the transaction
 * leaves the proc array), so the next writer's numbering starts after a committed head and commits
 * after it: positions become visible in position order, never 42 before 41. A reader that has
 * seen position p never learns of an event at or below p later, so subscribers read "after p" with
 * no gap to fill. Positions come from a transactional counter (ledger_head), so a rolled-back
 * batch leaves no hole, and a deleted tail is never numbered again.
 */
import type pg from 'pg';
import {
  ConcurrencyError,
  StoreUnavailableError,
  expectationHolds,
  type AppendResult,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
} from '../../eventsourcing/eventStore.js';
import { fromStored } from '../../eventsourcing/storedEvent.js';
import { hashEvent } from '../../eventsourcing/integrity.js';
import { translateError } from './errors.js';
import { literal, textArray } from './literals.js';
import { APPEND_LOCK, CHANNEL } from './schema.js';

export interface WriteRequest {
  stream: string;
  events: { id: string; type: string; dataJson: string; metadataJson: string }[];
  expected: ExpectedRevision;
  resolve: (r: AppendResult) => void;
  reject: (e: Error) => void;
  /** Told the batch it was committed in, before it is resolved (the tracing span of the wait, when on). */
  committedIn?: (stats: BatchStats) => void;
}

/** Raised for one request of a batch; the others go on. */
class Conflict extends Error {
  constructor(
    readonly actual: number | 'no_stream',
    message: string,
  ) {
    super(message);
  }
}

export interface BatchStats {
  size: number;
  seconds: number;
}

const MAX_BATCH = 500;

const guarded = new WeakSet<pg.PoolClient>();

/**
 * A checked-out client whose socket breaks emits 'error' even while a query is active (the query
 * fails too); with no listener that event would end the process. The failing query is how the
 * writer learns of it, so the event itself is ignored. Pooled clients are reused: one listener each.
 */
export function survivingErrors(client: pg.PoolClient): pg.PoolClient {
  if (!guarded.has(client)) {
    guarded.add(client);
    client.on('error', () => undefined);
  }
  return client;
}

export function serialise(e: NewEvent): WriteRequest['events'][number] {
  // Checked here, per append, rather than failing the whole group commit that would carry it.
  if (`${e.id}${e.type}`.includes('\0')) throw new TypeError('event id or type holds a NUL character');
  return { id: e.id, type: e.type, dataJson: JSON.stringify(e.data), metadataJson: JSON.stringify(e.metadata) };
}

interface Found {
  stream: string;
  revision: number;
  position: bigint;
}

/** What one batch's transaction knows: the heads and ids read at its start, plus what it added. */
class BatchState {
  readonly heads = new Map<string, { revision: number; hash: string } | undefined>();
  readonly ids = new Map<string, Found>();
  readonly rows = {
    position: [] as string[],
    id: [] as string[],
    stream: [] as string[],
    revision: [] as number[],
    type: [] as string[],
    data: [] as string[],
    metadata: [] as string[],
    prevHash: [] as string[],
    hash: [] as string[],
  };
  constructor(public head: bigint) {}
}

/** The events were appended before with these ids: answer as the first append did, write nothing. */
function repeated(req: WriteRequest, state: BatchState): AppendResult | undefined {
  const found = req.events.map((e) => state.ids.get(e.id));
  if (found.every((f) => f === undefined)) return undefined;
  const consistent = found.every(
    (f, i) => f !== undefined && f.stream === req.stream && f.revision === found[0]!.revision + i,
  );
  if (!consistent)
    throw new Conflict(
      state.heads.get(req.stream)?.revision ?? 'no_stream',
      'event ids already used elsewhere in the ledger',
    );
  const last = found[found.length - 1]!;
  return { nextRevision: last.revision, position: last.position };
}

function decide(req: WriteRequest, state: BatchState): AppendResult {
  const head = state.heads.get(req.stream);
  const again = repeated(req, state);
  if (again) return again;
  if (!expectationHolds(req.expected, head?.revision)) {
    const actual = head?.revision ?? 'no_stream';
    throw new Conflict(actual, `stream ${req.stream}: expected revision ${String(req.expected)}, actual ${actual}`);
  }
  let revision = head?.revision ?? -1;
  let prevHash = head?.hash ?? '';
  const r = state.rows;
  for (const e of req.events) {
    revision += 1;
    state.head += 1n;
    const hash = hashEvent(e.id, req.stream, revision, e.type, e.dataJson, e.metadataJson, prevHash);
    r.position.push(state.head.toString());
    r.id.push(e.id);
    r.stream.push(req.stream);
    r.revision.push(revision);
    r.type.push(e.type);
    r.data.push(e.dataJson);
    r.metadata.push(e.metadataJson);
    r.prevHash.push(prevHash);
    r.hash.push(hash);
    state.ids.set(e.id, { stream: req.stream, revision, position: state.head });
    prevHash = hash;
  }
  state.heads.set(req.stream, { revision, hash: prevHash });
  return { nextRevision: revision, position: state.head };
}

/** The rows as a reader would get them back (rows.ts), for this instance's subscribers. */
function recordedEvents(r: BatchState['rows'], recordedAt: Date): RecordedEvent[] {
  return r.id.map((id, i) =>
    fromStored({
      position: BigInt(r.position[i]),
      id,
      stream: r.stream[i],
      revision: r.revision[i],
      type: r.type[i],
      dataJson: r.data[i],
      metadataJson: r.metadata[i],
      prevHash: r.prevHash[i],
      hash: r.hash[i],
      recordedAt,
    }),
  );
}

export class PostgresWriter {
  private queue: WriteRequest[] = [];
  private inFlight = false;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle = () => {};

  constructor(
    private readonly pool: pg.Pool,
    private readonly target: string,
    /**
     * After each commit: the new head, the batch's size and time, and the events it wrote (empty
     * when it wrote none), numbered from the position after `head` minus their count.
     */
    private readonly onCommit: (head: bigint, stats: BatchStats, committed: RecordedEvent[]) => void,
  ) {}

  submit(req: WriteRequest): void {
    if (this.closed) {
      req.reject(new StoreUnavailableError('ledger is closed'));
      return;
    }
    this.queue.push(req);
    if (!this.inFlight) {
      this.inFlight = true;
      this.idle = new Promise((resolve) => (this.markIdle = resolve));
      // Appends made in the same tick share the first transaction.
      setImmediate(() => void this.drain());
    }
  }

  /**
   * Deletes whole streams and appends `events` to `stream` in one transaction under the append
   * lock, so the ledger is never seen with the streams gone but not the append (or the reverse).
   */
  deleteThenAppend(deleted: string[], stream: string, events: NewEvent[]): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      void this.commit([{ stream, events: events.map(serialise), expected: 'any', resolve, reject }], deleted);
    });
  }

  /** Commits what is queued, then stops taking appends. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      await this.commit(batch);
    }
    this.inFlight = false;
    this.markIdle();
  }

  private async commit(batch: WriteRequest[], deleted: string[] = []): Promise<void> {
    const started = process.hrtime.bigint();
    let client: pg.PoolClient | undefined;
    let outcomes: (AppendResult | Error)[];
    let head: bigint;
    let committed: RecordedEvent[];
    try {
      client = survivingErrors(await this.pool.connect());
      ({ outcomes, head, committed } = await this.transaction(client, batch, deleted));
    } catch (err) {
      // Nothing of the batch is known to be committed; a caller's retry with the same ids is idempotent.
      client?.release(err as Error);
      client = undefined;
      const error = translateError(err, this.target);
      const unavailable =
        error instanceof StoreUnavailableError
          ? error
          : new StoreUnavailableError(`PostgreSQL ledger at ${this.target} cannot take writes: ${error.message}`, {
              cause: err,
            });
      for (const req of batch) req.reject(unavailable);
      return;
    } finally {
      client?.release();
    }
    const stats = { size: batch.length, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
    this.onCommit(head, stats, committed);
    batch.forEach((req, i) => {
      req.committedIn?.(stats);
      const outcome = outcomes[i];
      if (outcome instanceof Error) req.reject(outcome);
      else req.resolve(outcome);
    });
  }

  /**
   * Two round trips, each one simple-protocol query string: (1) BEGIN, the append lock, then (each
   * statement a new snapshot in READ COMMITTED, so after the lock) the head, the heads of the batch's
   * streams and any earlier use of its event ids; (2) the rows, the new head, the notification and
   * COMMIT. The lock is held for one round trip plus the commit.
   */
  private async transaction(
    client: pg.PoolClient,
    batch: WriteRequest[],
    deleted: string[],
  ): Promise<{ outcomes: (AppendResult | Error)[]; head: bigint; committed: RecordedEvent[] }> {
    const streams = textArray([...new Set(batch.map((r) => r.stream))]);
    const ids = textArray(batch.flatMap((r) => r.events.map((e) => e.id)));
    const read = (await client.query(
      `BEGIN; SELECT pg_advisory_xact_lock(${APPEND_LOCK});` +
        (deleted.length > 0 ? ` DELETE FROM events WHERE stream = ANY(${textArray(deleted)});` : '') +
        ` SELECT position::text AS head FROM ledger_head;` +
        ` SELECT DISTINCT ON (stream) stream, revision, hash FROM events WHERE stream = ANY(${streams}) ` +
        `ORDER BY stream, revision DESC;` +
        ` SELECT stream, revision, id, position::text AS position FROM events WHERE id = ANY(${ids})`,
    )) as unknown as pg.QueryResult[];
    let committed = false;
    try {
      const [headRows, headsRows, idRows] = read.slice(-3) as [
        pg.QueryResult<{ head: string }>,
        pg.QueryResult<{ stream: string; revision: number; hash: string }>,
        pg.QueryResult<{ stream: string; revision: number; id: string; position: string }>,
      ];
      const state = new BatchState(BigInt(headRows.rows[0].head));
      for (const r of headsRows.rows) state.heads.set(r.stream, { revision: r.revision, hash: r.hash });
      for (const r of idRows.rows)
        state.ids.set(r.id, { stream: r.stream, revision: r.revision, position: BigInt(r.position) });
      const outcomes = batch.map((req): AppendResult | Error => {
        try {
          return decide(req, state);
        } catch (err) {
          if (err instanceof Conflict) return new ConcurrencyError(req.stream, req.expected, err.actual, err.message);
          throw err;
        }
      });
      const r = state.rows;
      const recordedAt = new Date();
      if (r.id.length > 0) {
        const now = literal(recordedAt.toISOString());
        const values = r.id.map(
          (id, i) =>
            `(${r.position[i]},${literal(id)},${literal(r.stream[i])},${r.revision[i]},${literal(r.type[i])},` +
            `${literal(r.data[i])},${literal(r.metadata[i])},${literal(r.prevHash[i])},${literal(r.hash[i])},${now})`,
        );
        // Delivered with the commit, in commit order, to every listening instance.
        await client.query(
          `INSERT INTO events (position, id, stream, revision, type, data, metadata, prev_hash, hash, ` +
            `recorded_at) VALUES ${values.join(',')};` +
            ` UPDATE ledger_head SET position = ${state.head}; SELECT pg_notify('${CHANNEL}', '${state.head}'); COMMIT`,
        );
      } else {
        await client.query('COMMIT');
      }
      committed = true;
      return { outcomes, head: state.head, committed: recordedEvents(r, recordedAt) };
    } finally {
      if (!committed) await client.query('ROLLBACK').catch(() => undefined);
    }
  }
}
