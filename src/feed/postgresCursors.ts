import pg from 'pg';
import type { PostgresSettings } from '../stores/postgres/settings.js';
import type { SinkCursor, SinkCursors } from './cursors.js';
import { ownerDead } from './owner.js';

interface Row {
  sink_id: string;
  position: string;
  owner: string | null;
  last_error: string | null;
  last_delivered_at: Date | null;
  failing_since: Date | null;
}

const COLUMNS = 'sink_id, position::text AS position, owner, last_error, last_delivered_at, failing_since';

const toCursor = (r: Row): SinkCursor => ({
  sinkId: r.sink_id,
  position: BigInt(r.position),
  ...(r.last_error !== null && { lastError: r.last_error }),
  ...(r.last_delivered_at !== null && { lastDeliveredAt: r.last_delivered_at }),
  ...(r.failing_since !== null && { failingSince: r.failing_since }),
});

/**
 * The positions in the ledger's own database (the sink_cursors table, created with the schema: schema.ts), so that
 * every host sharing the ledger shares the leases. Each lease is taken by one conditional statement, which PostgreSQL
 * serialises on the row: two hosts never both hold a sink. A pool of its own, small: a few statements per delivery.
 */
export class PostgresCursors implements SinkCursors {
  private readonly pool: pg.Pool;

  constructor(settings: PostgresSettings) {
    this.pool = new pg.Pool({
      connectionString: settings.url,
      connectionTimeoutMillis: settings.connectTimeoutMs,
      statement_timeout: settings.statementTimeoutMs,
      application_name: 'token-ledger feed',
      max: 2,
    });
    // An idle connection that breaks is dropped by the pool; without a listener the error would crash the process.
    this.pool.on('error', () => undefined);
  }

  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(text, values);
  }

  async all(): Promise<SinkCursor[]> {
    return (await this.query<Row>(`SELECT ${COLUMNS} FROM sink_cursors ORDER BY sink_id`, [])).rows.map(toCursor);
  }

  async get(sinkId: string): Promise<SinkCursor> {
    const select = `SELECT ${COLUMNS} FROM sink_cursors WHERE sink_id = $1`;
    let [row] = (await this.query<Row>(select, [sinkId])).rows;
    if (!row) {
      await this.query('INSERT INTO sink_cursors (sink_id) VALUES ($1) ON CONFLICT DO NOTHING', [sinkId]);
      [row] = (await this.query<Row>(select, [sinkId])).rows;
    }
    return toCursor(row);
  }

  async lease(sinkId: string, owner: string, untilMs: number): Promise<boolean> {
    const taken = await this.query(
      `INSERT INTO sink_cursors AS c (sink_id, owner, lease_until) VALUES ($1, $2, $3)
       ON CONFLICT (sink_id) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
       WHERE c.owner IS NULL OR c.owner = excluded.owner OR c.lease_until < $4
       RETURNING 1`,
      [sinkId, owner, untilMs, Date.now()],
    );
    if (taken.rowCount === 1) return true;
    // A live lease, unless its owner is a dead process of this host: replaced only if still that owner's.
    const [held] = (
      await this.query<{ owner: string | null }>('SELECT owner FROM sink_cursors WHERE sink_id = $1', [sinkId])
    ).rows;
    if (!held?.owner || !ownerDead(held.owner)) return false;
    const replaced = await this.query(
      'UPDATE sink_cursors SET owner = $2, lease_until = $3 WHERE sink_id = $1 AND owner = $4',
      [sinkId, owner, untilMs, held.owner],
    );
    return replaced.rowCount === 1;
  }

  async advance(sinkId: string, owner: string, position: bigint, deliveredAt?: Date): Promise<boolean> {
    const set = deliveredAt
      ? 'position = $1, last_delivered_at = $2, last_error = NULL, failing_since = NULL'
      : 'position = $1, last_delivered_at = coalesce($2, last_delivered_at)';
    const changed = await this.query(`UPDATE sink_cursors SET ${set} WHERE sink_id = $3 AND owner = $4`, [
      position.toString(),
      deliveredAt ?? null,
      sinkId,
      owner,
    ]);
    return changed.rowCount === 1;
  }

  async fail(sinkId: string, owner: string, error: string, at: Date): Promise<SinkCursor> {
    await this.query(
      'UPDATE sink_cursors SET last_error = $1, failing_since = coalesce(failing_since, $2) ' +
        'WHERE sink_id = $3 AND owner = $4',
      [error.slice(0, 500), at, sinkId, owner],
    );
    return this.get(sinkId);
  }

  async clearFailure(sinkId: string): Promise<void> {
    await this.query('UPDATE sink_cursors SET failing_since = NULL WHERE sink_id = $1', [sinkId]);
  }

  async release(owner: string): Promise<void> {
    await this.query('UPDATE sink_cursors SET owner = NULL, lease_until = 0 WHERE owner = $1', [owner]);
  }

  async forget(sinkId: string): Promise<void> {
    await this.query('DELETE FROM sink_cursors WHERE sink_id = $1', [sinkId]);
  }

  close(): void {
    void this.pool.end().catch(() => undefined);
  }
}
