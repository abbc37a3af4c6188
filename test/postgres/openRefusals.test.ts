/**
 * A PostgreSQL server that cannot hold the ledger is refused at open, with one line naming
 * DATABASE_URL without its password, and nothing is written to it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { StoreCorruptError, StoreUnavailableError } from '../../src/eventsourcing/eventStore.js';
import { openPostgresEventStore } from '../../src/stores/postgres/postgresEventStore.js';
import { postgresSettings } from '../../src/stores/postgres/settings.js';
import { loadConfig } from '../../src/config/config.js';
import { runCli, runNode, SERVER } from '../helpers/cli.js';
import { freePort, removeDir, tempDir } from '../helpers/server.js';
import { createTestDatabase, postgresSkip, type TestDatabase } from './database.js';

const PASSWORD_IN_URL = 'Sup3r-s3cret-pw';

function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = password;
  return u.toString();
}

async function tableNames(db: TestDatabase): Promise<string[]> {
  return (
    await db.sql<{ t: string }>(
      `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    )
  ).map((r) => r.t);
}

function assertOneLineWithoutPassword(message: string, password: string): void {
  assert.doesNotMatch(message, /\n./, message);
  assert.ok(!message.includes(password), `the password leaked: ${message}`);
}

describe('DATABASE_URL settings', () => {
  it('refuses a URL that is not postgres:// and never echoes it', () => {
    assert.throws(
      () => loadConfig({ DATABASE_URL: `mysql://u:${PASSWORD_IN_URL}@h/db` }),
      (err: Error) => {
        assert.equal(
          err.message,
          'DATABASE_URL is invalid: expected a URL such as postgres://user:password@localhost:5432/token_ledger',
        );
        return true;
      },
    );
    assert.throws(
      () => loadConfig({ DATABASE_URL: 'postgres://x', EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:2113' }),
      /both set/,
    );
    assert.throws(
      () => loadConfig({ DATABASE_URL: 'postgres://x', DATABASE_POOL_SIZE: '0' }),
      /DATABASE_POOL_SIZE="0" is invalid/,
    );
  });

  it('describes the target without the password, in messages and in serialised configuration', () => {
    const settings = postgresSettings({
      DATABASE_URL: `postgresql://app:${PASSWORD_IN_URL}@db.internal:6543/ledger?sslmode=require`,
    })!;
    assert.equal(settings.target, 'postgresql://app@db.internal:6543/ledger');
    assert.equal(settings.poolSize, 10);
    assert.equal(settings.statementTimeoutMs, 10_000);
    assert.equal(settings.connectTimeoutMs, 5_000);
    const config = loadConfig({ DATABASE_URL: settings.url });
    assert.ok(!JSON.stringify(config).includes(PASSWORD_IN_URL));
    assert.ok(!JSON.stringify(config).includes('sslmode'));
  });
});

describe('PostgreSQL ledger: refusals at open', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  it('wrong credentials: one line naming DATABASE_URL, no password', async () => {
    const settings = postgresSettings({ DATABASE_URL: withPassword(db.url, PASSWORD_IN_URL) })!;
    await assert.rejects(openPostgresEventStore(settings), (err: Error) => {
      assert.ok(err instanceof StoreUnavailableError);
      assert.match(
        err.message,
        /^cannot open the PostgreSQL ledger at DATABASE_URL \(postgres:\/\/[^:@]+@127\.0\.0\.1:\d+\/tl_test_\w+\): password authentication failed/,
      );
      assertOneLineWithoutPassword(err.message, PASSWORD_IN_URL);
      return true;
    });
    assert.deepEqual(await tableNames(db), []);
  });

  it('unreachable host: refused within the connect timeout', async () => {
    const started = Date.now();
    const settings = postgresSettings({
      DATABASE_URL: `postgres://u:${PASSWORD_IN_URL}@127.0.0.1:1/x`,
      DATABASE_CONNECT_TIMEOUT_MS: '2000',
    })!;
    await assert.rejects(openPostgresEventStore(settings), (err: Error) => {
      assert.ok(err instanceof StoreUnavailableError);
      assert.match(
        err.message,
        /^cannot open the PostgreSQL ledger at DATABASE_URL \(postgres:\/\/u@127\.0\.0\.1:1\/x\): .*ECONNREFUSED/,
      );
      assertOneLineWithoutPassword(err.message, PASSWORD_IN_URL);
      return true;
    });
    assert.ok(Date.now() - started < 3000);
  });

  it('a database that does not exist: refused with what to do', async () => {
    const u = new URL(db.url);
    u.pathname = '/tl_test_missing_database';
    await assert.rejects(openPostgresEventStore(postgresSettings({ DATABASE_URL: u.toString() })!), (err: Error) => {
      assert.ok(err instanceof StoreUnavailableError);
      assert.match(
        err.message,
        /\(postgres:\/\/\S+\/tl_test_missing_database\): database "tl_test_missing_database" does not exist \(create it, or name another database in DATABASE_URL\)$/,
      );
      return true;
    });
  });

  it('a database that is not ours (an events table with other columns, or other tables): refused, untouched', async () => {
    const foreign = await createTestDatabase();
    try {
      await foreign.sql('CREATE TABLE events (id serial PRIMARY KEY, body text)');
      await assert.rejects(openPostgresEventStore(foreign.settings()), (err: Error) => {
        assert.ok(err instanceof StoreCorruptError);
        assert.match(
          err.message,
          /^DATABASE_URL \(postgres:\/\/\S+\/tl_test_\w+\) is not a token-ledger database: it has no schema_version table/,
        );
        return true;
      });
      assert.deepEqual(await tableNames(foreign), ['events']);
      await foreign.sql('DROP TABLE events');
      await foreign.sql('CREATE TABLE customers (id int)');
      await assert.rejects(
        openPostgresEventStore(foreign.settings()),
        /is not a token-ledger database: it holds other tables \(customers\)/,
      );
      assert.deepEqual(await tableNames(foreign), ['customers']);
    } finally {
      await foreign.drop();
    }
  });

  it('a ledger written by a newer version: refused with one line', async () => {
    const store = await openPostgresEventStore(db.settings());
    await store.close();
    assert.deepEqual(await tableNames(db), ['events', 'ledger_head', 'schema_version', 'sink_cursors']);
    // Opening again is idempotent.
    await (await openPostgresEventStore(db.settings())).close();
    await db.sql('UPDATE schema_version SET version = 99');
    await assert.rejects(openPostgresEventStore(db.settings()), (err: Error) => {
      assert.ok(err instanceof StoreCorruptError);
      assert.match(
        err.message,
        /holds a ledger written by a newer token-ledger \(schema version 99; this version knows 2\): upgrade token-ledger$/,
      );
      return true;
    });
    await db.sql('UPDATE schema_version SET version = 2');
  });

  it('a ledger of schema version 1 (before sink_cursors) opens, and gains the table', async () => {
    const old = await createTestDatabase();
    try {
      await (await openPostgresEventStore(old.settings())).close();
      await old.sql('DROP TABLE sink_cursors');
      await old.sql('UPDATE schema_version SET version = 1');
      await Promise.all([0, 1].map(async () => (await openPostgresEventStore(old.settings())).close()));
      assert.deepEqual(await tableNames(old), ['events', 'ledger_head', 'schema_version', 'sink_cursors']);
      assert.deepEqual(await old.sql('SELECT version FROM schema_version'), [{ version: 2 }]);
    } finally {
      await old.drop();
    }
  });

  it('a read-only server (standby, or default_transaction_read_only): refused, nothing written', async () => {
    const replica = await createTestDatabase();
    try {
      await replica.sql(`ALTER DATABASE ${replica.name} SET default_transaction_read_only = on`);
      await assert.rejects(openPostgresEventStore(replica.settings()), (err: Error) => {
        assert.ok(err instanceof StoreUnavailableError);
        assert.match(
          err.message,
          /^DATABASE_URL \(\S+\) is read-only \(default_transaction_read_only is on\): token-ledger needs a writable primary$/,
        );
        return true;
      });
      assert.deepEqual(await tableNames(replica), []);
    } finally {
      await replica.drop();
    }
  });

  it('the server and the CLI stop with one line naming DATABASE_URL, never the password', async () => {
    const dataDir = tempDir();
    try {
      const url = withPassword(db.url, PASSWORD_IN_URL);
      const env = {
        DATABASE_URL: url,
        DATA_DIR: dataDir,
        KEY_ENCRYPTION_SECRET: 'k'.repeat(32),
        PORT: String(await freePort()),
        LOG_LEVEL: 'silent',
      };
      for (const ran of [
        await runNode(SERVER, [], env),
        await runCli(['verify'], env),
        await runCli(['clients', 'list'], env),
      ]) {
        assert.equal(ran.code, 1, ran.stderr);
        assert.equal(ran.stderr.trim().split('\n').length, 1, ran.stderr);
        assert.match(
          ran.stderr,
          /^token-ledger: cannot open the PostgreSQL ledger at DATABASE_URL \(postgres:\/\/\S+@127\.0\.0\.1:\d+\/tl_test_\w+\): password authentication failed/,
        );
        assert.ok(!(ran.stdout + ran.stderr).includes(PASSWORD_IN_URL));
      }
      // Without KEY_ENCRYPTION_SECRET: every instance must share it, so a local file will not do.
      const noSecret = await runNode(SERVER, [], { ...env, DATABASE_URL: db.url, KEY_ENCRYPTION_SECRET: '' });
      assert.equal(noSecret.code, 1);
      assert.match(
        noSecret.stderr,
        /^token-ledger: KEY_ENCRYPTION_SECRET is missing: expected the same secret on every instance sharing a PostgreSQL ledger\n$/,
      );
    } finally {
      removeDir(dataDir);
    }
  });
});
