import pg from 'pg';
import type { SubjectKeyRows } from '../../crypto/subjectKeys.js';
import type { PostgresSettings } from './settings.js';

/**
 * Subject keys in a mutable table beside the append-only `events`. A destroyed key's row is updated to
 * null; PostgreSQL keeps the old row version until VACUUM, so erasure vacuums the table at once.
 */
export async function postgresSubjectKeyRows(settings: PostgresSettings): Promise<SubjectKeyRows> {
  const pool = new pg.Pool({
    connectionString: settings.url,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    statement_timeout: settings.statementTimeoutMs,
    application_name: 'token-ledger subject keys',
    max: 2,
  });
  pool.on('error', () => undefined);
  try {
    await pool.query(
      'CREATE TABLE IF NOT EXISTS subject_keys (sub text PRIMARY KEY, wrapped text, erased_at timestamptz)',
    );
  } catch (err) {
    // Instances starting together may race on the CREATE; the loser finds the table there.
    const exists = await pool
      .query("SELECT to_regclass('subject_keys') IS NOT NULL AS there")
      .then((r) => (r.rows[0] as { there: boolean }).there)
      .catch(() => false);
    if (!exists) {
      await pool.end().catch(() => undefined);
      throw err;
    }
  }
  return {
    async insertOrGet(sub, wrapped) {
      await pool.query('INSERT INTO subject_keys (sub, wrapped) VALUES ($1, $2) ON CONFLICT (sub) DO NOTHING', [
        sub,
        wrapped,
      ]);
      const { rows } = await pool.query<{ wrapped: string | null }>('SELECT wrapped FROM subject_keys WHERE sub = $1', [
        sub,
      ]);
      return rows[0]?.wrapped ?? null;
    },
    async select(subs) {
      const found = new Map<string, string | null>();
      if (subs.length === 0) return found;
      const { rows } = await pool.query<{ sub: string; wrapped: string | null }>(
        'SELECT sub, wrapped FROM subject_keys WHERE sub = ANY($1::text[])',
        [subs],
      );
      for (const r of rows) found.set(r.sub, r.wrapped);
      return found;
    },
    async tombstone(sub) {
      await pool.query(
        'INSERT INTO subject_keys (sub, wrapped, erased_at) VALUES ($1, NULL, now()) ' +
          'ON CONFLICT (sub) DO UPDATE SET wrapped = NULL, erased_at = coalesce(subject_keys.erased_at, now())',
        [sub],
      );
      // The dead row version still holds the wrapped key until vacuumed; best effort, autovacuum follows anyway.
      await pool.query('VACUUM subject_keys').catch(() => undefined);
    },
    async all() {
      const { rows } = await pool.query<{ sub: string; wrapped: string | null }>(
        'SELECT sub, wrapped FROM subject_keys',
      );
      return rows.map((r): [string, string | null] => [r.sub, r.wrapped]);
    },
    close: () => pool.end(),
  };
}
