/**
 * The ledger on PostgreSQL (DATABASE_URL), for several instances sharing one database.
 * Appends: writer.ts (group commit, advisory-lock ordering). Live delivery: a LISTEN connection
 * (listener.ts) announces new heads; subscribers read on by position. The adapter stores and
 * returns; the hash chain is sealed with the same function as every other store's.
 */
import pg from 'pg';
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
} from '../../eventsourcing/eventStore.js';
import { reasonOf, translateError } from './errors.js';
import { HeadListener } from './listener.js';
import { LiveSubscribers } from '../liveSubscribers.js';
import { COLUMNS, toRecorded, type EventRow } from './rows.js';
import { ensureSchema } from './schema.js';
import type { PostgresSettings } from './settings.js';
import { PostgresSubscription } from './subscription.js';
import { PostgresWriter, serialise, survivingErrors, type BatchStats, type WriteRequest } from './writer.js';
import { activeTracing, type ActiveTracing } from '../../tracing/active.js';

const PAGE = 2000;

interface PostgresStoreOptions {
  /** Told about every group commit, for metrics. */
  onBatch?: (stats: BatchStats) => void;
  /** Told when the LISTEN connection is lost and reopened. */
  log?: (message: string) => void;
}

export class PostgresEventStore implements EventStore {
  readonly kind = 'postgres' as const;
  private readonly writer: PostgresWriter;
  private readonly subscribers = new LiveSubscribers<PostgresSubscription>();
  private listener?: HeadListener;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly clientConfig: pg.ClientConfig,
    readonly target: string,
    private readonly options: PostgresStoreOptions,
  ) {
    this.writer = new PostgresWriter(pool, target, (_head, stats, committed) => {
      options.onBatch?.(stats);
      // This instance's own commit: handed over as written rather than read back, when it is exactly what a subscriber
      // reads next.
      for (const sub of this.subscribers) sub.offer(committed);
    });
  }

  append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('ledger is closed'));
    if (events.length === 0) return Promise.reject(new TypeError('append needs at least one event'));
    if (stream.includes('\0')) return Promise.reject(new TypeError('stream name holds a NUL character'));
    if (new Set(events.map((e) => e.id)).size !== events.length)
      return Promise.reject(new TypeError('append got the same event id twice'));
    return new Promise<AppendResult>((resolve, reject) => {
      let serialised: WriteRequest['events'];
      try {
        serialised = events.map(serialise);
      } catch (err) {
        reject(new TypeError(`event is not serialisable: ${(err as Error).message}`));
        return;
      }
      const tracing = activeTracing();
      if (!tracing) this.writer.submit({ stream, events: serialised, expected, resolve, reject });
      else this.writer.submit(traced(tracing, { stream, events: serialised, expected, resolve, reject }));
    });
  }

  async readStream(stream: string, fromRevision = 0): Promise<RecordedEvent[]> {
    const rows = await this.query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE stream = $1 AND revision >= $2 ORDER BY revision`,
      [stream, fromRevision],
    );
    return rows.map(toRecorded);
  }

  async readAll(after: bigint, limit: number): Promise<RecordedEvent[]> {
    const rows = await this.query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE position > $1 ORDER BY events.position LIMIT $2`,
      [after.toString(), limit],
    );
    return rows.map(toRecorded);
  }

  async headPosition(): Promise<bigint> {
    const [row] = await this.query<{ head: string | null }>('SELECT max(position)::text AS head FROM events');
    const head = BigInt(row?.head ?? 0);
    this.subscribers.catchUp(head);
    return head;
  }

  subscribe(after: bigint, handler: BatchHandler, options: SubscribeOptions = {}): Subscription {
    if (this.closed) throw new StoreUnavailableError('ledger is closed');
    // The LISTEN connection is opened for the first subscriber: CLI commands that only read need none.
    this.listener ??= new HeadListener(this.clientConfig, () => this.subscribers.pumpAll(), this.options.log);
    return this.subscribers.start(
      new PostgresSubscription(after, handler, options, (from) => this.readAll(from, PAGE), PAGE),
    );
  }

  /**
   * The last position ever handed out (ledger_head), for verify: beyond the head means deleted events. Not part of the
   * port.
   */
  async highestIssued(): Promise<bigint> {
    const [row] = await this.query<{ position: string }>('SELECT position::text AS position FROM ledger_head');
    return BigInt(row?.position ?? 0);
  }

  /** Prune: deletes whole streams and appends their record in one transaction (not part of the port). */
  deleteStreamsAndAppend(deleted: string[], stream: string, events: NewEvent[]): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('ledger is closed'));
    return this.writer.deleteThenAppend(deleted, stream, events);
  }

  /** Whether live notifications arrive now (false while the LISTEN connection is being reopened). */
  get listening(): boolean {
    return this.listener?.connected ?? false;
  }

  /** @internal for tests: cuts the LISTEN connection as a network failure would. */
  dropListenerConnection(): void {
    this.listener?.dropConnection();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Acknowledged or queued appends are committed before the pool goes.
    await this.writer.close();
    await this.subscribers.stopAll();
    await this.listener?.close();
    await this.pool.end();
  }

  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(text, values)).rows;
    } catch (err) {
      throw translateError(err, this.target);
    }
  }
}

/**
 * Connects to PostgreSQL, refuses a server that cannot hold the ledger (unreachable, wrong
 * credentials, read-only, a database that is not ours, a newer schema) with one line naming
 * DATABASE_URL without its password, and creates the schema in an empty database.
 */
export async function openPostgresEventStore(
  settings: PostgresSettings,
  options: PostgresStoreOptions = {},
): Promise<PostgresEventStore> {
  const clientConfig: pg.ClientConfig = {
    connectionString: settings.url,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    statement_timeout: settings.statementTimeoutMs,
    application_name: 'token-ledger',
  };
  const pool = new pg.Pool({ ...clientConfig, max: settings.poolSize });
  // An idle pooled connection that breaks is dropped by the pool; without a listener the error would crash the process.
  pool.on('error', () => undefined);
  let client: pg.PoolClient | undefined;
  try {
    client = survivingErrors(await pool.connect());
    await ensureSchema(client, settings.target);
  } catch (err) {
    client?.release(true);
    await pool.end().catch(() => undefined);
    if (err instanceof StoreUnavailableError || err instanceof StoreCorruptError) throw err;
    throw new StoreUnavailableError(
      `cannot open the PostgreSQL ledger at DATABASE_URL (${settings.target}): ${reasonOf(err)}`,
      { cause: err },
    );
  }
  client.release();
  return new PostgresEventStore(pool, clientConfig, settings.target, options);
}

/** The wait for the group commit as a span, told the size and time of the batch it was committed in. */
function traced(tracing: ActiveTracing, req: WriteRequest): WriteRequest {
  const span = tracing.tracer.startSpan('postgresql group commit', {
    attributes: { 'db.system.name': 'postgresql', 'token_ledger.events': req.events.length },
  });
  return {
    ...req,
    committedIn: (stats) =>
      span.setAttributes({
        'token_ledger.batch.size': stats.size,
        'token_ledger.batch.commit_ms': Math.round(stats.seconds * 1e6) / 1e3,
      }),
    resolve: (result) => {
      span.end();
      req.resolve(result);
    },
    reject: (err) => {
      span.setAttribute('error.type', err instanceof ConcurrencyError ? 'conflict' : err.name);
      // A conflict is a lost race, decided again by execute; an unavailable store is a failure.
      if (!(err instanceof ConcurrencyError))
        span.setStatus({ code: tracing.api.SpanStatusCode.ERROR, message: err.message });
      span.end();
      req.reject(err);
    },
  };
}
