import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/cli.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import { removeDir, startTestServer, tempDir } from '../helpers/server.js';
import { Browser } from '../helpers/browser.js';
import { authorizeWithPkce, createUser } from '../helpers/flow.js';
import { historyFile } from '../../src/runtime.js';
import { HistoryQueries } from '../../projections/historyQueries.js';
import { applyPrune, forgetPrunedInHistory, planPrune, type PrunePlan } from '../../src/audit/prune.js';
import { openSqliteEventStore } from '../../src/stores/sqlite/sqliteEventStore.js';

/** The history index's rows without their pagination cursors, which a rebuild numbers afresh. */
function historyRows(dataDir: string) {
  const db = new Database(historyFile(dataDir), { readonly: true });
  try {
    const { tokens, grants, sessions } = new HistoryQueries(db).dump();
    const counts = db.prepare('SELECT by, key, n FROM token_counts ORDER BY by, key').all();
    return { tokens: tokens.map(({ seq: _seq, ...t }) => t), grants, sessions, counts };
  } finally {
    db.close();
  }
}

/**
 * What `token-ledger prune --before T` does (the same functions, in the same order), run as if it
 * were already T: time is an input, and the CLI itself refuses a T in the future.
 */
async function pruneAsOf(dataDir: string, at: Date): Promise<PrunePlan> {
  const store = await openSqliteEventStore(join(dataDir, 'ledger.sqlite'));
  let plan: PrunePlan;
  try {
    plan = await planPrune(store, at, at);
  } finally {
    await store.close();
  }
  applyPrune(join(dataDir, 'ledger.sqlite'), plan, 'operator:test');
  forgetPrunedInHistory(historyFile(dataDir), plan);
  return plan;
}

/** The same rows, rebuilt from the ledger as it now is by a server started without the file. */
async function rebuiltHistoryRows(dataDir: string) {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${historyFile(dataDir)}${suffix}`, { force: true });
  const server = await startTestServer({ dataDir });
  await server.runtime.runner.settleDurable();
  await server.close();
  return historyRows(dataDir);
}

describe('token-ledger prune', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeDir));

  it('removes only streams whose tokens all expired, records LedgerPruned, and verify still passes and says so', async () => {
    const server = await startTestServer();
    dirs.push(server.dataDir);
    const svc = await registerClient(server, { client_id: 'svc', access_token_ttl: 1 });
    const keep = await registerClient(server, { client_id: 'keep' });
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++)
      tokens.push(
        (await postForm(server, '/token', { grant_type: 'client_credentials' }, basic('svc', svc.secret!))).body
          .access_token,
      );
    await postForm(server, '/revoke', { token: tokens[0] }, basic('svc', svc.secret!));
    await postForm(server, '/token', { grant_type: 'client_credentials' }, basic('keep', keep.secret!));
    await server.close();
    const env = { DATA_DIR: server.dataDir };

    const none = JSON.parse((await runCli(['prune', '--before', '2020-01-01T00:00:00Z', '--json'], env)).stdout);
    assert.equal(none.streams, 0, 'nothing had expired then');
    // A time ahead would delete the long-lived client's live token: refused, nothing removed.
    const ahead = await runCli(['prune', '--before', new Date(Date.now() + 2 * 3600_000).toISOString()], env);
    assert.notEqual(ahead.code, 0);
    assert.match(
      ahead.stderr,
      /--before .* is in the future: only streams whose every token has already expired may be pruned/,
    );
    assert.equal(JSON.parse((await runCli(['replay', '--json'], env)).stdout).tokens.issued, 4);

    await new Promise((resolve) => setTimeout(resolve, 2100));
    const now = new Date().toISOString();
    const dry = JSON.parse((await runCli(['prune', '--before', now, '--dry-run', '--json'], env)).stdout);
    assert.deepEqual([dry.streams, dry.events, dry.byCategory], [3, 4, { token: 4 }]);
    const beforeReplay = JSON.parse((await runCli(['replay', '--json'], env)).stdout);
    assert.equal(beforeReplay.tokens.issued, 4, 'a dry run removes nothing');

    const done = await runCli(['prune', '--before', now, '--json'], env);
    assert.equal(done.code, 0, done.stderr);
    const verified = await runCli(['verify', '--json'], env);
    assert.equal(verified.code, 0, verified.stdout);
    const report = JSON.parse(verified.stdout);
    assert.equal(report.pruned, 4);
    assert.equal(report.ok, true);
    assert.match(
      (await runCli(['verify'], env)).stdout,
      /^ledger sound: .*, 4 pruned events accounted for by LedgerPruned records/,
    );
    const replay = JSON.parse((await runCli(['replay', '--json'], env)).stdout);
    assert.equal(replay.tokens.issued, 1, 'the live token stays');
    assert.deepEqual(
      historyRows(server.dataDir).tokens.map((t) => t.clientId),
      ['keep'],
      'the history index follows the prune',
    );
    assert.equal(replay.clients, 3, "clients are never pruned (the test's two, and the console's)");

    // A pruned ledger still moves whole: its position gaps are the ones its LedgerPruned record accounts for.
    const file = join(server.dataDir, 'pruned.ndjson');
    assert.equal((await runCli(['export', '--out', file], env)).code, 0);
    const copy = tempDir('tl-pruned-import-');
    dirs.push(copy);
    const imported = await runCli(['import', '--in', file, '--json'], { DATA_DIR: copy });
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(JSON.parse(imported.stdout).events, report.events);
    assert.deepEqual(JSON.parse((await runCli(['replay', '--json'], { DATA_DIR: copy })).stdout), replay);
    const copyVerified = await runCli(['verify', '--json'], { DATA_DIR: copy });
    assert.equal(copyVerified.code, 0, copyVerified.stdout);
    assert.equal(JSON.parse(copyVerified.stdout).pruned, 4, 'the copy still says what was pruned before it was made');

    // A deletion the prune record does not account for is still caught.
    const db = new Database(join(server.dataDir, 'ledger.sqlite'));
    db.prepare(
      "DELETE FROM events WHERE position = (SELECT min(position) FROM events WHERE stream LIKE 'client-%')",
    ).run();
    db.close();
    const tampered = await runCli(['verify', '--json'], env);
    assert.notEqual(tampered.code, 0);
    assert.equal(JSON.parse(tampered.stdout).ok, false);
  });

  it("drops the pruned streams' tokens, grants and sessions from the operators' history index, as a rebuild would", async () => {
    const server = await startTestServer();
    dirs.push(server.dataDir);
    const short = await registerClient(server, { client_id: 'short', access_token_ttl: 600 });
    const long = await registerClient(server, { client_id: 'long', access_token_ttl: 3600 });
    for (const c of [short, long, short]) {
      const res = await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(c.clientId, c.secret!));
      assert.equal(res.status, 200);
    }
    // A grant (code, access and refresh token) and the browser session behind it.
    const alice = await createUser(server, 'alice');
    const rp = await registerClient(server, {
      client_id: 'rp',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://rp.example/cb'],
      scope: 'openid',
    });
    const run = await authorizeWithPkce(server, new Browser(), 'rp', 'https://rp.example/cb', alice, {
      scope: 'openid',
    });
    const exchanged = await postForm(
      server,
      '/token',
      {
        grant_type: 'authorization_code',
        code: run.params.get('code')!,
        redirect_uri: 'https://rp.example/cb',
        code_verifier: run.verifier,
      },
      basic('rp', rp.secret!),
    );
    assert.equal(exchanged.status, 200);
    await server.runtime.runner.settleDurable();
    await server.close();
    const before = historyRows(server.dataDir);
    assert.deepEqual([before.tokens.length, before.grants.length, before.sessions.length], [5, 1, 1]);

    // As of 20 minutes from now, only the short-lived client's two tokens have expired.
    const first = await pruneAsOf(server.dataDir, new Date(Date.now() + 1200_000));
    assert.deepEqual(first.byCategory, { token: 2 });
    const afterFirst = historyRows(server.dataDir);
    assert.deepEqual(afterFirst.tokens.map((t) => t.clientId).sort(), ['long', 'rp', 'rp']);
    assert.deepEqual(afterFirst, await rebuiltHistoryRows(server.dataDir));

    // As of ten years from now everything that expires has: the grant and session go too; clients and users stay.
    const second = await pruneAsOf(server.dataDir, new Date(Date.now() + 10 * 366 * 86400_000));
    assert.ok(
      (second.byCategory.grant ?? 0) > 0 && (second.byCategory.session ?? 0) > 0,
      JSON.stringify(second.byCategory),
    );
    const afterSecond = historyRows(server.dataDir);
    assert.deepEqual(
      [afterSecond.tokens, afterSecond.grants, afterSecond.sessions, afterSecond.counts],
      [[], [], [], []],
    );
    assert.deepEqual(afterSecond, await rebuiltHistoryRows(server.dataDir));
  });

  it('refuses a bad --before with one line', async () => {
    const ran = await runCli(['prune', '--before', 'yesterday'], { DATA_DIR: dirs[0] });
    assert.notEqual(ran.code, 0);
    assert.match(ran.stderr, /--before "yesterday" is invalid/);
  });

  it('refuses to read a directory that holds no ledger, instead of opening a new, empty one', async () => {
    const empty = join(dirs[0], 'not-a-data-dir');
    for (const args of [['verify'], ['replay'], ['prune', '--before', '2020-01-01T00:00:00Z']]) {
      const ran = await runCli(args, { DATA_DIR: empty });
      assert.notEqual(ran.code, 0, args.join(' '));
      assert.match(ran.stderr, /DATA_DIR=.*not-a-data-dir holds no ledger \(.*ledger\.sqlite does not exist\)/);
    }
    const { existsSync } = await import('node:fs');
    assert.equal(existsSync(empty), false, 'nothing was created');
  });
});
