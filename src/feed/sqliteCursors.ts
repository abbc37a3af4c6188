import Database from 'better-sqlite3';
import type { SinkCursor, SinkCursors } from './cursors.js';
import { ownerDead } from './owner.js';
import { ensurePrivateFile } from '../config/privateFiles.js';

const DDL = `
CREATE TABLE IF NOT EXISTS sink_cursors (
  sink_id           TEXT PRIMARY KEY,
  position          TEXT NOT NULL DEFAULT '0',
  owner             TEXT,
  lease_until       INTEGER NOT NULL DEFAULT 0,
  last_error        TEXT,
  last_delivered_at INTEGER,
  failing_since     INTEGER
);`;

interface Row {
  sink_id: string;
  position: string;
  owner: string | null;
  lease_until: number;
  last_error: string | null;
  last_delivered_at: number | null;
  failing_since: number | null;
}

const toCursor = (r: Row): SinkCursor => ({
  sinkId: r.sink_id,
  position: BigInt(r.position),
  ...(r.last_error !== null && { lastError: r.last_error }),
  ...(r.last_delivered_at !== null && { lastDeliveredAt: new Date(r.last_delivered_at) }),
  ...(r.failing_since !== null && { failingSince: new Date(r.failing_since) }),
});

/**
 * The positions in DATA_DIR/feed.sqlite, beside the embedded ledger: every process that shares the data directory
 * shares the leases. WAL with synchronous=NORMAL: a process crash loses nothing, a power cut may lose the last
 * positions, which only repeats deliveries (at-least-once), never skips one.
 */
export class SqliteCursors implements SinkCursors {
  private readonly db: Database.Database;

  constructor(file: string) {
    // Owner-only like everything in DATA_DIR (SQLite gives its -wal and -shm files the same mode).
    ensurePrivateFile(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(DDL);
  }

  private row(sinkId: string): Row {
    this.db.prepare('INSERT OR IGNORE INTO sink_cursors (sink_id) VALUES (?)').run(sinkId);
    return this.db.prepare('SELECT * FROM sink_cursors WHERE sink_id = ?').get(sinkId) as Row;
  }

  all(): Promise<SinkCursor[]> {
    return Promise.resolve((this.db.prepare('SELECT * FROM sink_cursors').all() as Row[]).map(toCursor));
  }

  get(sinkId: string): Promise<SinkCursor> {
    return Promise.resolve(toCursor(this.row(sinkId)));
  }

  lease(sinkId: string, owner: string, untilMs: number): Promise<boolean> {
    const take = this.db.transaction(() => {
      const r = this.row(sinkId);
      const free = r.owner === null || r.owner === owner || r.lease_until < Date.now() || ownerDead(r.owner);
      if (!free) return false;
      this.db
        .prepare('UPDATE sink_cursors SET owner = ?, lease_until = ? WHERE sink_id = ?')
        .run(owner, untilMs, sinkId);
      return true;
    });
    return Promise.resolve(take.immediate());
  }

  advance(sinkId: string, owner: string, position: bigint, deliveredAt?: Date): Promise<boolean> {
    const set = deliveredAt
      ? 'position = ?, last_delivered_at = ?, last_error = NULL, failing_since = NULL'
      : 'position = ?, last_delivered_at = coalesce(?, last_delivered_at)';
    const changed = this.db
      .prepare(`UPDATE sink_cursors SET ${set} WHERE sink_id = ? AND owner = ?`)
      .run(position.toString(), deliveredAt?.getTime() ?? null, sinkId, owner).changes;
    return Promise.resolve(changed === 1);
  }

  fail(sinkId: string, owner: string, error: string, at: Date): Promise<SinkCursor> {
    this.db
      .prepare(
        'UPDATE sink_cursors SET last_error = ?, failing_since = coalesce(failing_since, ?) ' +
          'WHERE sink_id = ? AND owner = ?',
      )
      .run(error.slice(0, 500), at.getTime(), sinkId, owner);
    return this.get(sinkId);
  }

  clearFailure(sinkId: string): Promise<void> {
    this.db.prepare('UPDATE sink_cursors SET failing_since = NULL WHERE sink_id = ?').run(sinkId);
    return Promise.resolve();
  }

  release(owner: string): Promise<void> {
    this.db.prepare('UPDATE sink_cursors SET owner = NULL, lease_until = 0 WHERE owner = ?').run(owner);
    return Promise.resolve();
  }

  forget(sinkId: string): Promise<void> {
    this.db.prepare('DELETE FROM sink_cursors WHERE sink_id = ?').run(sinkId);
    return Promise.resolve();
  }

  close(): void {
    this.db.close();
  }
}
