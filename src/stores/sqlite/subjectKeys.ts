import Database from 'better-sqlite3';
import type { SubjectKeyRows } from '../../crypto/subjectKeys.js';

export const SUBJECT_KEYS_FILE = 'subject-keys.sqlite';

/**
 * Subject keys in their own file beside the ledger: the ledger file is append-only by design, this one is
 * not. secure_delete overwrites a destroyed key's bytes, and the rollback journal (not WAL) leaves no
 * older copy of the page behind once the erasing transaction commits.
 */
export function sqliteSubjectKeyRows(file: string): SubjectKeyRows {
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = DELETE');
  db.pragma('secure_delete = ON');
  db.exec('CREATE TABLE IF NOT EXISTS subject_keys (sub TEXT PRIMARY KEY, wrapped TEXT, erased_at INTEGER)');
  const insert = db.prepare('INSERT INTO subject_keys (sub, wrapped) VALUES (?, ?) ON CONFLICT (sub) DO NOTHING');
  const get = db.prepare<[string], { wrapped: string | null }>('SELECT wrapped FROM subject_keys WHERE sub = ?');
  const erase = db.prepare(
    'INSERT INTO subject_keys (sub, wrapped, erased_at) VALUES (?, NULL, ?) ' +
      'ON CONFLICT (sub) DO UPDATE SET wrapped = NULL, erased_at = coalesce(erased_at, excluded.erased_at)',
  );
  return {
    insertOrGet(sub, wrapped) {
      insert.run(sub, wrapped);
      return Promise.resolve(get.get(sub)?.wrapped ?? null);
    },
    select(subs) {
      const rows = new Map<string, string | null>();
      for (const sub of subs) {
        const row = get.get(sub);
        if (row) rows.set(sub, row.wrapped);
      }
      return Promise.resolve(rows);
    },
    tombstone(sub) {
      erase.run(sub, Date.now());
      return Promise.resolve();
    },
    all() {
      const rows = db.prepare<[], { sub: string; wrapped: string | null }>('SELECT sub, wrapped FROM subject_keys');
      return Promise.resolve(rows.all().map((r): [string, string | null] => [r.sub, r.wrapped]));
    },
    close() {
      db.close();
      return Promise.resolve();
    },
  };
}
