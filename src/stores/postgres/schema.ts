import type pg from 'pg';
import { StoreCorruptError, StoreUnavailableError } from '../../eventsourcing/eventStore.js';

/** Bumped whenever the tables change; a database written by a newer version is refused. */
const SCHEMA_VERSION = 2;

/** Advisory lock keys (per database): schema creation, and every append (see writer.ts). */
const SCHEMA_LOCK = 7_418_220_001;
export const APPEND_LOCK = 7_418_220_002;
/** NOTIFY channel: a commit announces the new head position, never event data. */
export const CHANNEL = 'token_ledger';

const EVENT_COLUMNS = [
  'position',
  'id',
  'stream',
  'revision',
  'type',
  'data',
  'metadata',
  'prev_hash',
  'hash',
  'recorded_at',
];
// subject_keys: the per-subject keys (src/stores/postgres/subjectKeys.ts), the one mutable table, made on first use.
const TABLES = ['events', 'ledger_head', 'schema_version', 'subject_keys', 'sink_cursors'];

// The outbound feed's positions and leases (src/feed/postgresCursors.ts): not events, shared by every host. Lease
// expiry in epoch milliseconds, as the feed computes it.
const SINK_CURSORS = `
CREATE TABLE IF NOT EXISTS sink_cursors (
  sink_id           text PRIMARY KEY,
  position          bigint NOT NULL DEFAULT 0,
  owner             text,
  lease_until       bigint NOT NULL DEFAULT 0,
  last_error        text,
  last_delivered_at timestamptz,
  failing_since     timestamptz
);`;

/** What brings a ledger of version n to n + 1, run under the schema lock by the first process of a new version. */
const MIGRATIONS: Record<number, string> = {
  1: SINK_CURSORS,
};

// data and metadata are `json`, not `jsonb`: json keeps the exact text that was hashed (key order,
// spacing), jsonb would not. Positions are assigned by the writer under the append lock.
const DDL = `
CREATE TABLE schema_version (version integer NOT NULL, product text NOT NULL);
CREATE TABLE ledger_head (single boolean PRIMARY KEY DEFAULT true CHECK (single), position bigint NOT NULL);
CREATE TABLE events (
  position    bigint PRIMARY KEY,
  id          text NOT NULL UNIQUE,
  stream      text NOT NULL,
  revision    integer NOT NULL,
  type        text NOT NULL,
  data        json NOT NULL,
  metadata    json NOT NULL,
  prev_hash   text NOT NULL,
  hash        text NOT NULL,
  recorded_at timestamptz NOT NULL,
  UNIQUE (stream, revision)
);
INSERT INTO ledger_head (position) VALUES (0);
${SINK_CURSORS}
INSERT INTO schema_version (version, product) VALUES (${SCHEMA_VERSION}, 'token-ledger');
`;

async function tablesOf(client: pg.PoolClient): Promise<Map<string, string[]>> {
  const { rows } = await client.query<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = current_schema() ORDER BY c.table_name, c.ordinal_position`,
  );
  const tables = new Map<string, string[]>();
  for (const r of rows) tables.set(r.table_name, [...(tables.get(r.table_name) ?? []), r.column_name]);
  return tables;
}

/** Throws unless the tables are this version's (or an older one's) ledger; returns its version. */
async function checkOurs(client: pg.PoolClient, tables: Map<string, string[]>, target: string): Promise<number> {
  const foreign = [...tables.keys()].filter((t) => !TABLES.includes(t));
  const events = tables.get('events')?.join(',');
  if (
    !tables.has('schema_version') ||
    foreign.length > 0 ||
    events !== EVENT_COLUMNS.join(',') ||
    !tables.has('ledger_head')
  ) {
    const what =
      foreign.length > 0
        ? `it holds other tables (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''})`
        : !tables.has('schema_version')
          ? 'it has no schema_version table'
          : `its tables have other columns (events: ${events ?? 'missing'})`;
    throw new StoreCorruptError(
      `DATABASE_URL (${target}) is not a token-ledger database: ${what}; expected an empty database or a ` +
        `token-ledger ledger`,
    );
  }
  const { rows } = await client.query<{ version: number; product: string }>(
    'SELECT version, product FROM schema_version',
  );
  const row = rows[0];
  if (rows.length !== 1 || row.product !== 'token-ledger') {
    throw new StoreCorruptError(
      `DATABASE_URL (${target}) is not a token-ledger database: schema_version does not hold one token-ledger row`,
    );
  }
  if (row.version > SCHEMA_VERSION) {
    throw new StoreCorruptError(
      `DATABASE_URL (${target}) holds a ledger written by a newer token-ledger (schema version ${row.version}; ` +
        `this version knows ${SCHEMA_VERSION}): upgrade token-ledger`,
    );
  }
  return row.version;
}

/** Brings an older ledger to this version, under the schema lock: concurrent first starts migrate once. */
async function migrate(client: pg.PoolClient, from: number): Promise<void> {
  for (let version = from; version < SCHEMA_VERSION; version++) await client.query(MIGRATIONS[version]);
  await client.query('UPDATE schema_version SET version = $1', [SCHEMA_VERSION]);
}

/**
 * Refuses a read-only server, then creates the schema in an empty database or checks that an
 * existing one is ours (migrating an older version's). Concurrent first starts take the schema lock: one creates or
 * migrates, the others check. Nothing is written to a database that is refused.
 */
export async function ensureSchema(client: pg.PoolClient, target: string): Promise<void> {
  const { rows } = await client.query<{ recovery: boolean; ro: string; sync: string }>(
    `SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS ro, ` +
      `current_setting('synchronous_commit') AS sync`,
  );
  if (rows[0].recovery || rows[0].ro === 'on') {
    throw new StoreUnavailableError(
      `DATABASE_URL (${target}) is read-only ` +
        `(${rows[0].recovery ? 'a standby in recovery' : 'default_transaction_read_only is on'}): token-ledger ` +
        `needs a writable primary`,
    );
  }
  // An append is acknowledged once COMMIT returns; with synchronous_commit off that is before the WAL is flushed.
  if (rows[0].sync === 'off') {
    throw new StoreUnavailableError(
      `DATABASE_URL (${target}) has synchronous_commit off: an acknowledged append could be lost; expected on ` +
        `(the default)`,
    );
  }
  let tables = await tablesOf(client);
  if (tables.size > 0 && (await checkOurs(client, tables, target)) === SCHEMA_VERSION) return;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    tables = await tablesOf(client);
    if (tables.size === 0) await client.query(DDL);
    else {
      const version = await checkOurs(client, tables, target);
      if (version < SCHEMA_VERSION) await migrate(client, version);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
