import type Database from 'better-sqlite3';
import { StoreCorruptError } from '../../eventsourcing/eventStore.js';

/** Written into `meta` so that a foreign SQLite file is never mistaken for a ledger. */
const LEDGER_FORMAT = 'token-ledger/1';

const DDL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events (
  position    INTEGER PRIMARY KEY AUTOINCREMENT,
  id          TEXT NOT NULL UNIQUE,
  stream      TEXT NOT NULL,
  revision    INTEGER NOT NULL,
  type        TEXT NOT NULL,
  data        TEXT NOT NULL,
  metadata    TEXT NOT NULL,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL,
  recorded_at INTEGER NOT NULL,
  UNIQUE (stream, revision)
);
`;

export function configure(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  // FULL: a commit is on disk (WAL fsynced) before it is acknowledged.
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  // Index pages stay in memory as the ledger grows (64 MiB).
  db.pragma('cache_size = -65536');
}

/** Creates the schema in an empty database, or checks that an existing one is ours. */
export function ensureSchema(db: Database.Database, file: string): void {
  let tables: string[];
  try {
    tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map(
      (r) => r.name,
    );
  } catch (err) {
    throw new StoreCorruptError(`${file} is not a token-ledger ledger: ${(err as Error).message}`, { cause: err });
  }
  if (tables.length === 0) {
    db.transaction(() => {
      db.exec(DDL);
      db.prepare(`INSERT INTO meta (key, value) VALUES ('format', ?)`).run(LEDGER_FORMAT);
    }).immediate();
    return;
  }
  const format = tables.includes('meta')
    ? (db.prepare(`SELECT value FROM meta WHERE key = 'format'`).get() as { value: string } | undefined)?.value
    : undefined;
  if (format !== LEDGER_FORMAT) {
    throw new StoreCorruptError(
      `${file} is not a token-ledger ledger (format ${format ?? 'missing'}, expected ${LEDGER_FORMAT})`,
    );
  }
}
