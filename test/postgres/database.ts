/**
 * A throwaway PostgreSQL database per test run, created through TEST_DATABASE_URL (an admin
 * connection whose role may CREATE DATABASE) and dropped at the end. Without TEST_DATABASE_URL the
 * PostgreSQL tests skip, saying why, unless TOKEN_LEDGER_REQUIRE_POSTGRES=1 makes that a failure.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresSettings, type PostgresSettings } from '../../src/ledger/postgres/settings.js';

export const adminUrl = process.env.TEST_DATABASE_URL || undefined;

/** Why the PostgreSQL tests cannot run here, or undefined when they can. */
export const postgresSkip: string | undefined = adminUrl
  ? undefined
  : 'TEST_DATABASE_URL is not set: the PostgreSQL tests need a server (.ci/postgres.sh starts one and prints the URL)';

if (postgresSkip && process.env.TOKEN_LEDGER_REQUIRE_POSTGRES === '1') {
  throw new Error(`PostgreSQL tests required (TOKEN_LEDGER_REQUIRE_POSTGRES=1) but ${postgresSkip}`);
}

export interface TestDatabase {
  name: string;
  /** DATABASE_URL of the new database (same credentials as TEST_DATABASE_URL). */
  url: string;
  settings(env?: Record<string, string>): PostgresSettings;
  /** Runs SQL in the new database as the admin role (to tamper, inspect or make it read-only). */
  sql<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** `admin` defaults to TEST_DATABASE_URL; the benchmark passes BENCH_DATABASE_URL. */
export async function createTestDatabase(admin_: string | undefined = adminUrl): Promise<TestDatabase> {
  if (!admin_) throw new Error(postgresSkip);
  const adminUrl = admin_;
  const name = `tl_test_${randomBytes(6).toString('hex')}`;
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  return {
    name,
    url,
    settings: (env = {}) => postgresSettings({ DATABASE_URL: url, ...env })!,
    sql: (text, values) => admin(url, async (c) => (await c.query(text, values)).rows),
    drop: () => admin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
