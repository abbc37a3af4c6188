import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';

/**
 * Per-minute activity counts (the console's dashboard and a client's rates), kept as a table of the history index
 * rather than as an in-memory view, because:
 * - `revoked` counts tokens, and only the index knows how many live tokens a GrantRevoked ends and whose client a
 *   TokenRevoked's jti belongs to (neither event names a client): an in-memory view would need a jti → client map
 *   of every token ever issued;
 * - per-client rows live on disk, so memory stays flat however many clients there are;
 * - it is built, checkpointed (its position is the index's) and rebuilt with the index, and an instance sharing the
 *   data directory reads the same counts;
 * - it is not in the replay digest (which leaves recordedAt out by design; these counts are made of it).
 * Rows are keyed (client, minute), client '' for the totals; one row per client and minute with activity. Rows
 * more than ACTIVITY_RETAIN_MINUTES older than the newest event applied are deleted (judged by recordedAt, never the
 * wall clock, so a rebuild keeps the same rows), which bounds the table by the clients active in the last 48 h.
 */
export const ACTIVITY_RETAIN_MINUTES = 48 * 60;

export const ACTIVITY_SCHEMA =
  `CREATE TABLE activity (\n` +
  `  client TEXT NOT NULL,\n` +
  `  minute INTEGER NOT NULL,\n` +
  `  issued INTEGER NOT NULL,\n` +
  `  refreshed INTEGER NOT NULL,\n` +
  `  revoked INTEGER NOT NULL,\n` +
  `  login_failed INTEGER NOT NULL,\n` +
  `  client_auth_failed INTEGER NOT NULL,\n` +
  `  PRIMARY KEY (client, minute)\n` +
  `) WITHOUT ROWID;\n` +
  `CREATE INDEX activity_by_minute ON activity (minute);\n`;

export const COUNTERS = ['issued', 'refreshed', 'revoked', 'loginFailed', 'clientAuthFailed'] as const;
export type Counter = (typeof COUNTERS)[number];
export type ActivityCounts = Record<Counter, number>;

const zero = (): ActivityCounts => ({ issued: 0, refreshed: 0, revoked: 0, loginFailed: 0, clientAuthFailed: 0 });

/** The events whose data `note` reads (of the others only the time counts): their data goes to the index's thread. */
export const ACTIVITY_DATA_TYPES = ['AccessTokenIssued', 'LoginFailed', 'ClientAuthenticationFailed'];

/** What the index's handlers tell about an event: the tokens its revocation ended, and whose they were. */
export interface Revocation {
  client: string | null;
  tokens: number;
}

/**
 * One batch's counts, added up in memory and written once per (client, minute) at the end of the batch: a burst of
 * issuance costs one upsert per client and minute, not one per token.
 */
export class ActivityBatch {
  private readonly rows = new Map<string, { client: string; minute: number; counts: ActivityCounts }>();
  private newestMinute = -1;

  private add(client: string | null | undefined, minute: number, counter: Counter, n: number): void {
    for (const key of client ? ['', client] : ['']) {
      const id = `${minute}\u0000${key}`;
      let row = this.rows.get(id);
      if (!row) this.rows.set(id, (row = { client: key, minute, counts: zero() }));
      row.counts[counter] += n;
    }
  }

  /** Counts one applied event; `revocation` is what the index's handler ended (TokenRevoked, GrantRevoked). */
  note(e: RecordedEvent, revocation?: Revocation): void {
    const minute = Math.floor(e.recordedAt.getTime() / 60_000);
    this.newestMinute = Math.max(this.newestMinute, minute);
    const d = e.data as { clientId?: string; grantType?: string };
    switch (e.type) {
      case 'AccessTokenIssued':
        this.add(d.clientId, minute, 'issued', 1);
        if (d.grantType === 'refresh_token') this.add(d.clientId, minute, 'refreshed', 1);
        break;
      case 'LoginFailed':
        this.add(d.clientId, minute, 'loginFailed', 1);
        break;
      case 'ClientAuthenticationFailed':
        this.add(d.clientId, minute, 'clientAuthFailed', 1);
        break;
      case 'TokenRevoked':
      case 'GrantRevoked':
        if (revocation && revocation.tokens > 0) this.add(revocation.client, minute, 'revoked', revocation.tokens);
        break;
    }
  }

  /** Writes the batch's counts and drops what fell out of the window; inside the index's batch transaction. */
  flush(db: Database.Database): void {
    let st = statements.get(db);
    if (!st) statements.set(db, (st = prepare(db)));
    for (const row of this.rows.values()) st.upsert.run({ client: row.client, minute: row.minute, ...row.counts });
    // The index on minute makes this a range delete of what just fell out (usually nothing).
    if (this.newestMinute >= 0) st.expire.run(this.newestMinute - ACTIVITY_RETAIN_MINUTES);
  }
}

const prepare = (db: Database.Database) => ({
  upsert: db.prepare(
    `INSERT INTO activity (client, minute, issued, refreshed, revoked, login_failed, client_auth_failed) ` +
      `VALUES (@client, @minute, @issued, @refreshed, @revoked, @loginFailed, @clientAuthFailed) ` +
      `ON CONFLICT (client, minute) DO UPDATE SET issued = issued + excluded.issued, ` +
      `refreshed = refreshed + excluded.refreshed, revoked = revoked + excluded.revoked, ` +
      `login_failed = login_failed + excluded.login_failed, ` +
      `client_auth_failed = client_auth_failed + excluded.client_auth_failed`,
  ),
  expire: db.prepare<[number]>('DELETE FROM activity WHERE minute <= ?'),
});
const statements = new WeakMap<Database.Database, ReturnType<typeof prepare>>();

/** One bucket of an answer: its first minute and the counts of its minutes. */
export interface ActivityRow extends ActivityCounts {
  minute: number;
}

/**
 * The counts of `@client` ('' for all) from minute `@from` (inclusive) to `@to` (exclusive), summed per bucket of
 * `@size` minutes aligned on `@from`: one indexed range read, linear in the rows it returns.
 */
export const SELECT_ACTIVITY =
  `SELECT @from + CAST((minute - @from) / @size AS INTEGER) * @size AS minute, sum(issued) AS issued, ` +
  `sum(refreshed) AS refreshed, sum(revoked) AS revoked, sum(login_failed) AS loginFailed, ` +
  `sum(client_auth_failed) AS clientAuthFailed FROM activity ` +
  `WHERE client = @client AND minute >= @from AND minute < @to GROUP BY 1 ORDER BY 1`;
