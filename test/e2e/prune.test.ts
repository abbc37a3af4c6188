import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/cli.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import { removeDir, startTestServer } from '../helpers/server.js';

describe('token-ledger prune', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeDir));

  it('removes only streams whose tokens all expired, records LedgerPruned, and verify still passes and says so', async () => {
    const server = await startTestServer();
    dirs.push(server.dataDir);
    const svc = await registerClient(server, { client_id: 'svc' });
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) tokens.push((await postForm(server, '/token', { grant_type: 'client_credentials' }, basic('svc', svc.secret!))).body.access_token);
    await postForm(server, '/revoke', { token: tokens[0]! }, basic('svc', svc.secret!));
    await server.close();
    const env = { DATA_DIR: server.dataDir };
    const soon = new Date(Date.now() + 60_000).toISOString();
    const later = new Date(Date.now() + 2 * 3600_000).toISOString();

    const none = JSON.parse((await runCli(['prune', '--before', soon, '--json'], env)).stdout);
    assert.equal(none.streams, 0, 'nothing has expired yet');
    const dry = JSON.parse((await runCli(['prune', '--before', later, '--dry-run', '--json'], env)).stdout);
    assert.deepEqual([dry.streams, dry.events, dry.byCategory], [3, 4, { token: 4 }]);
    const beforeReplay = JSON.parse((await runCli(['replay', '--json'], env)).stdout);
    assert.equal(beforeReplay.tokens.issued, 3, 'a dry run removes nothing');

    const done = await runCli(['prune', '--before', later, '--json'], env);
    assert.equal(done.code, 0, done.stderr);
    const verified = await runCli(['verify', '--json'], env);
    assert.equal(verified.code, 0, verified.stdout);
    const report = JSON.parse(verified.stdout);
    assert.equal(report.pruned, 4);
    assert.equal(report.ok, true);
    const replay = JSON.parse((await runCli(['replay', '--json'], env)).stdout);
    assert.equal(replay.tokens.issued, 0);
    assert.equal(replay.clients, 1, 'clients are never pruned');

    // A deletion the prune record does not account for is still caught.
    const db = new Database(join(server.dataDir, 'ledger.sqlite'));
    db.prepare("DELETE FROM events WHERE position = (SELECT min(position) FROM events WHERE stream LIKE 'client-%')").run();
    db.close();
    const tampered = await runCli(['verify', '--json'], env);
    assert.notEqual(tampered.code, 0);
    assert.equal(JSON.parse(tampered.stdout).ok, false);
  });

  it('refuses a bad --before with one line', async () => {
    const ran = await runCli(['prune', '--before', 'yesterday'], { DATA_DIR: join(dirs[0]!, 'other') });
    assert.notEqual(ran.code, 0);
    assert.match(ran.stderr, /--before "yesterday" is invalid/);
  });
});
