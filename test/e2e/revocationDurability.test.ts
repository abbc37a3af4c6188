import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runCli, SERVER } from '../helpers/cli.js';
import { freePort, removeDir, startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { basic, postForm, registerClient, ledgerHead } from '../helpers/oauth.js';

/** Every server this file started: a failed assertion must not leave one running (the file would never end). */
const children = new Set<ChildProcess>();

async function startProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [SERVER], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const started = Date.now();
  for (;;) {
    if (Date.now() - started > 15_000) throw new Error('server not ready');
    try {
      if ((await fetch(`${env.ISSUER}/readyz`)).status === 200) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const stop = (child: ChildProcess, signal: NodeJS.Signals) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });

describe('revocation survives restarts and crashes', () => {
  const dataDir = tempDir();
  after(async () => {
    await Promise.all([...children].map((child) => stop(child, 'SIGKILL')));
    removeDir(dataDir);
  });

  it('a revoked token stays inactive, and a live one active, after SIGKILL and after SIGTERM', async () => {
    const port = await freePort();
    const env = { DATA_DIR: dataDir, PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, LOG_LEVEL: 'silent' };
    const svc = JSON.parse(
      (await runCli(['clients', 'create', '--client-id', 'svc', '--scope', 'a b', '--json'], env)).stdout,
    );
    const rs = JSON.parse(
      (await runCli(['clients', 'create', '--client-id', 'rs', '--scope', '', '--json'], env)).stdout,
    );
    const server = { url: env.ISSUER } as TestServer;
    const svcAuth = basic('svc', svc.client_secret);
    const rsAuth = basic('rs', rs.client_secret);
    let child = await startProcess(env);
    const revoked = (await postForm(server, '/token', { grant_type: 'client_credentials' }, svcAuth)).body.access_token;
    const live = (await postForm(server, '/token', { grant_type: 'client_credentials' }, svcAuth)).body.access_token;
    assert.equal((await postForm(server, '/revoke', { token: revoked }, svcAuth)).status, 200);
    // Killed the instant after the 200: nothing may depend on a graceful shutdown.
    await stop(child, 'SIGKILL');
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      child = await startProcess(env);
      assert.deepEqual((await postForm(server, '/introspect', { token: revoked }, rsAuth)).body, { active: false });
      assert.equal((await postForm(server, '/introspect', { token: live }, rsAuth)).body.active, true);
      await stop(child, signal);
    }
  });
});

describe('when the ledger cannot take writes', () => {
  let server: TestServer;
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  it('issuance and revocation answer 503 with Retry-After, never 200, and recover by themselves', async () => {
    server = await startTestServer();
    const svc = await registerClient(server, {});
    const auth = basic(svc.clientId, svc.secret!);
    const token = (await postForm(server, '/token', { grant_type: 'client_credentials' }, auth)).body.access_token;
    const before = await ledgerHead(server);
    // Another process holds the write lock (a stuck writer, a backup tool): our writer times out.
    const locker = new Database(join(server.dataDir, 'ledger.sqlite'));
    locker.exec('BEGIN EXCLUSIVE');
    try {
      const [issue, revoke] = await Promise.all([
        postForm(server, '/token', { grant_type: 'client_credentials' }, auth),
        postForm(server, '/revoke', { token }, auth),
      ]);
      for (const res of [issue, revoke]) {
        assert.equal(res.status, 503, res.text);
        assert.equal(res.body.error, 'temporarily_unavailable');
        assert.equal(res.headers.get('retry-after'), '1');
      }
      // Reads keep working from the views.
      assert.equal((await fetch(`${server.url}/jwks`)).status, 200);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    assert.equal(await ledgerHead(server), before, 'nothing was written');
    assert.equal((await postForm(server, '/token', { grant_type: 'client_credentials' }, auth)).status, 200);
    assert.equal((await postForm(server, '/revoke', { token }, auth)).status, 200);
  });
});
