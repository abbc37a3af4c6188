/**
 * A throwaway PostgreSQL database per test run, created through TEST_DATABASE_URL (an admin
 * connection whose role may CREATE DATABASE) and dropped at the end. Without TEST_DATABASE_URL the
 * PostgreSQL tests skip, saying why, unless TOKEN_LEDGER_REQUIRE_POSTGRES=1 makes that a failure.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresSettings, type PostgresSettings } from '../../src/stores/postgres/settings.js';

export const adminUrl = process.env.TEST_DATABASE_URL || undefined;

if (adminUrl && !/^postgres(ql)?:\/\/\S+$/.test(adminUrl)) {
  // A script's stray output captured with the URL would otherwise fail every test with a connection error.
  throw new Error(
    `TEST_DATABASE_URL is not a postgres:// URL (${JSON.stringify(adminUrl.replace(/:[^:@/]*@/, ':***@'))})`,
  );
}

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

/**
 * Present while test/postgres/serverRestart.test.ts has the PostgreSQL server stopped or is about
 * to: a test file starting then waits (a marker older than a minute is a crashed run's, ignored).
 */
export const RESTART_MARKER = join(tmpdir(), 'token-ledger-pg-restart.marker');
export const PREFIX = 'tl_test_';

/**
 * One file per test database from before its creation until after its drop, named by the owning
 * process: what serverRestart.test.ts waits on before it stops the server. A connection count would
 * not do: a test between two connections holds none.
 */
const IN_USE_DIR = join(tmpdir(), 'token-ledger-pg-in-use');
const inUseFile = (name: string) => join(IN_USE_DIR, `${process.pid}.${name}`);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Test databases that live processes other than this one have created or are creating. */
export function databasesInUseElsewhere(): string[] {
  return readdirSync(IN_USE_DIR).filter((f) => {
    const pid = Number(f.split('.')[0]);
    return pid !== process.pid && alive(pid);
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const restarting = () => {
  const marker = statSync(RESTART_MARKER, { throwIfNoEntry: false });
  return marker !== undefined && Date.now() - marker.mtimeMs < 60_000;
};

/** Creates the database, waiting out a restart of the server (marker, then a refused connection) for up to a minute. */
async function createDatabase(name: string, server: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    while (restarting() && Date.now() < deadline) await pause(250);
    try {
      await admin(server, (c) => c.query(`CREATE DATABASE ${name}`));
      return;
    } catch (err) {
      // Server down or shutting down (57P0x): a restart began between the check and the connection.
      const code = (err as { code?: string }).code ?? '';
      if (Date.now() > deadline || !(code === 'ECONNREFUSED' || code === 'ECONNRESET' || code.startsWith('57P')))
        throw err;
      await pause(500);
    }
  }
}

/**
 * Drops the database, ending what is still connected to it. A backend the role may not signal (an
 * autovacuum worker, when the role lacks pg_signal_backend: 42501) is gone within moments: retried.
 */
async function dropDatabase(name: string, server: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await admin(server, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== '42501' || attempt >= 20) throw err;
      await pause(250);
    }
  }
}

/** `server` (an admin URL) defaults to TEST_DATABASE_URL; the benchmark passes BENCH_DATABASE_URL. */
export async function createTestDatabase(server: string | undefined = adminUrl): Promise<TestDatabase> {
  if (!server) throw new Error(postgresSkip);
  const name = `${PREFIX}${randomBytes(6).toString('hex')}`;
  // Registered before the restart marker is looked at, so a restart either waits for us or we for it.
  mkdirSync(IN_USE_DIR, { recursive: true });
  writeFileSync(inUseFile(name), '');
  try {
    await createDatabase(name, server);
  } catch (err) {
    rmSync(inUseFile(name), { force: true });
    throw err;
  }
  const u = new URL(server);
  u.pathname = `/${name}`;
  const url = u.toString();
  return {
    name,
    url,
    settings: (env = {}) => postgresSettings({ DATABASE_URL: url, ...env })!,
    sql: (text, values) => admin(url, async (c) => (await c.query(text, values)).rows),
    drop: async () => {
      await dropDatabase(name, server);
      rmSync(inUseFile(name), { force: true });
    },
  };
}
