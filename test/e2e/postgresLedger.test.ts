/**
 * The server and every CLI command on a PostgreSQL ledger (DATABASE_URL), and a ledger moved from
 * the embedded store into PostgreSQL by export/import with the same replay.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { removeDir, startTestServer, tempDir } from '../helpers/server.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import { createUser } from '../helpers/flow.js';
import { SECRET_FILE } from '../../src/config/keyEncryptionSecret.js';
import { planPrune, prunedRecord } from '../../src/audit/prune.js';
import { PRUNE_STREAM } from '../../src/domain/retention/events.js';
import { openPostgresEventStore } from '../../src/stores/postgres/postgresEventStore.js';
import { createTestDatabase, postgresSkip, type TestDatabase } from '../postgres/database.js';

describe('the server and the CLI on PostgreSQL', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  const dirs: string[] = [];
  const dir = () => {
    const d = tempDir('tl-pg-');
    dirs.push(d);
    return d;
  };
  let embedded: string;
  let pgEnv: Record<string, string>;
  const clients: Record<string, { clientId: string; secret: string | null }> = {};

  before(async () => {
    db = await createTestDatabase();
    embedded = dir();
    const server = await startTestServer({ dataDir: embedded, env: { LOG_LEVEL: 'silent' } });
    try {
      await createUser(server, 'alice');
      clients.svc = await registerClient(server, { client_id: 'svc' });
      clients.rs = await registerClient(server, { client_id: 'rs', scope: '' });
      const res = await postForm(
        server,
        '/token',
        { grant_type: 'client_credentials', scope: 'orders:read' },
        basic('svc', clients.svc.secret!),
      );
      assert.equal(res.status, 200, res.text);
      assert.equal(
        (await postForm(server, '/revoke', { token: res.body.access_token }, basic('svc', clients.svc.secret!))).status,
        200,
      );
    } finally {
      await server.close();
    }
    // The signing keys in the ledger are encrypted with the embedded store's secret: PostgreSQL
    // instances are given the same one in the environment.
    pgEnv = {
      DATABASE_URL: db.url,
      DATA_DIR: dir(),
      KEY_ENCRYPTION_SECRET: readFileSync(join(embedded, SECRET_FILE), 'utf8').trim(),
      LOG_LEVEL: 'silent',
    };
  });
  after(async () => {
    dirs.forEach(removeDir);
    await db?.drop();
  });

  it('export from the embedded store, import into PostgreSQL: verify passes and the replay digest is the same', async () => {
    const file = join(dir(), 'ledger.ndjson');
    assert.equal((await runCli(['export', '--out', file], { DATA_DIR: embedded, LOG_LEVEL: 'silent' })).code, 0);
    const im = await runCli(['import', '--in', file, '--json'], pgEnv);
    assert.equal(im.code, 0, im.stderr);
    const verified = await runCli(['verify', '--json'], pgEnv);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    const report = JSON.parse(verified.stdout);
    assert.equal(report.ok, true);
    assert.equal(report.store, 'postgres');
    assert.equal(report.events, JSON.parse(im.stdout).events);
    const fromPg = JSON.parse((await runCli(['replay', '--json'], pgEnv)).stdout);
    const fromEmbedded = JSON.parse(
      (await runCli(['replay', '--json'], { DATA_DIR: embedded, LOG_LEVEL: 'silent' })).stdout,
    );
    assert.match(fromPg.digest, /^[0-9a-f]{64}$/);
    assert.deepEqual(fromPg, fromEmbedded);
    const again = join(dir(), 'again.ndjson');
    assert.equal((await runCli(['export', '--out', again], pgEnv)).code, 0);
    const strip = (t: string) =>
      t
        .trim()
        .split('\n')
        .map((l) => {
          const { recordedAt: _r, ...rest } = JSON.parse(l);
          return rest;
        });
    assert.deepEqual(strip(readFileSync(again, 'utf8')), strip(readFileSync(file, 'utf8')));
  });

  it('issues a token by client credentials, revokes it, and introspects active:false', async () => {
    const server = await startTestServer({ dataDir: pgEnv.DATA_DIR, env: pgEnv });
    try {
      const svc = basic('svc', clients.svc.secret!);
      const rs = basic('rs', clients.rs.secret!);
      const issued = await postForm(server, '/token', { grant_type: 'client_credentials', scope: 'orders:read' }, svc);
      assert.equal(issued.status, 200, issued.text);
      const token = issued.body.access_token as string;
      assert.equal((await postForm(server, '/introspect', { token }, rs)).body.active, true);
      assert.equal((await postForm(server, '/revoke', { token }, svc)).status, 200);
      assert.deepEqual((await postForm(server, '/introspect', { token }, rs)).body, { active: false });
      assert.deepEqual((await postForm(server, '/introspect', { token }, { ...rs, consistency: 'strict' })).body, {
        active: false,
      });
      const [row] = await db.sql<{ n: string }>(`SELECT count(*) AS n FROM events WHERE type = 'TokenRevoked'`);
      assert.equal(Number(row.n), 2, 'the imported revocation and this one');
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.ok(!metrics.includes(new URL(db.url).password), 'no password in /metrics');
    } finally {
      await server.close();
    }
  });

  it('clients, users and keys commands read and write the PostgreSQL ledger', async () => {
    const created = await runCli(
      ['clients', 'create', '--client-id', 'cli-made', '--scope', 'orders:read', '--json'],
      pgEnv,
    );
    assert.equal(created.code, 0, created.stderr);
    const listed = JSON.parse((await runCli(['clients', 'list', '--json'], pgEnv)).stdout);
    assert.deepEqual(listed.clients.map((c: { client_id: string }) => c.client_id).sort(), [
      'cli-made',
      'rs',
      'svc',
      'token-ledger-console',
    ]);
    const user = await runCli(['users', 'create', '--username', 'bob', '--json'], {
      ...pgEnv,
      TOKEN_LEDGER_PASSWORD: 'correct horse battery',
    });
    assert.equal(user.code, 0, user.stderr);
    const users = JSON.parse((await runCli(['users', 'list', '--json'], pgEnv)).stdout);
    assert.equal(JSON.stringify(users).includes('bob') && JSON.stringify(users).includes('alice'), true);
    const keys = JSON.parse((await runCli(['keys', 'list', '--json'], pgEnv)).stdout);
    assert.deepEqual(keys.keys.map((k: { alg: string }) => k.alg).sort(), ['ES256', 'RS256']);
    const [row] = await db.sql<{ n: string }>(
      `SELECT count(*) AS n FROM events WHERE stream IN ('client-cli-made') OR type = 'UserRegistered'`,
    );
    assert.equal(Number(row.n), 3);
    assert.equal((await runCli(['verify'], pgEnv)).code, 0);
  });

  it('prune deletes expired streams and records LedgerPruned in one transaction; verify passes and says so', async () => {
    // Through the CLI: nothing has expired yet, nothing is removed.
    const now = await runCli(['prune', '--before', new Date().toISOString(), '--json'], pgEnv);
    assert.equal(now.code, 0, now.stderr);
    assert.equal(JSON.parse(now.stdout).streams, 0);
    // As of two days later (time is an input; the CLI refuses a future --before), the steps the CLI takes.
    const later = new Date(Date.now() + 2 * 86_400_000);
    const store = await openPostgresEventStore(db.settings());
    let pruned: string[];
    let events: number;
    try {
      const plan = await planPrune(store, later, later);
      pruned = plan.streams.map((s) => s.stream);
      events = plan.events;
      assert.ok(pruned.length >= 2, 'the expired tokens are planned');
      const [before] = await db.sql<{ n: string }>('SELECT count(*) AS n FROM events');
      await store.deleteStreamsAndAppend(pruned, PRUNE_STREAM, [prunedRecord(plan, 'operator:test')]);
      const [afterwards] = await db.sql<{ n: string }>('SELECT count(*) AS n FROM events');
      assert.equal(Number(afterwards.n), Number(before.n) - events + 1);
    } finally {
      await store.close();
    }
    const [left] = await db.sql<{ n: string }>('SELECT count(*) AS n FROM events WHERE stream = ANY($1::text[])', [
      pruned,
    ]);
    assert.equal(Number(left.n), 0);
    const verified = await runCli(['verify', '--json'], pgEnv);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.equal(JSON.parse(verified.stdout).pruned, events);
  });

  it('verify names a deleted stream: positions are contiguous on PostgreSQL too', async () => {
    const [victim] = await db.sql<{ position: string }>(
      `SELECT position::text AS position FROM events WHERE stream = 'client-cli-made'`,
    );
    assert.ok(victim, 'the stream to delete is there');
    await db.sql(`DELETE FROM events WHERE stream = 'client-cli-made'`);
    const verified = await runCli(['verify', '--json'], pgEnv);
    assert.equal(verified.code, 2, verified.stdout + verified.stderr);
    const report = JSON.parse(verified.stdout);
    assert.equal(report.ok, false);
    assert.match(JSON.stringify(report.problems), /missing before it \(/);
  });

  it('verify names deleted last events: the head is below the last position handed out', async () => {
    await db.sql(`DELETE FROM events WHERE position = (SELECT max(position) FROM events)`);
    const verified = await runCli(['verify', '--json'], pgEnv);
    assert.equal(verified.code, 2);
    assert.match(
      JSON.stringify(JSON.parse(verified.stdout).problems),
      // One event, or more when the stream the test before deleted was at the end too.
      /the last events? of the ledger \(positions? \d+(–\d+)?\) (was|were) deleted: the store handed out position \d+/,
    );
  });
});
