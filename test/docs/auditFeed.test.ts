import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { runCli } from '../helpers/cli.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import { freePort, removeDir, startTestServer, tempDir } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';

/** docs/audit-feed.md's marked blocks, run as a reader would: the sinks file, the GraphQL, the receiver, tail. */
const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url));
const PAGE = readFileSync(join(CHECKOUT, 'docs/audit-feed.md'), 'utf8');
const blocks = new Map(
  [...PAGE.matchAll(/<!-- feed:([\w-]+) -->\n```\w+\n([\s\S]*?)```/g)].map((m) => [m[1], m[2]] as const),
);
const block = (name: string) => {
  const text = blocks.get(name);
  assert.ok(text, `docs/audit-feed.md has a block marked feed:${name}`);
  return text;
};

describe('docs/audit-feed.md, run', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeDir));

  it('the sinks file is accepted as written', () => {
    const dir = tempDir();
    dirs.push(dir);
    writeFileSync(join(dir, 'sinks.json'), block('sinks-file'));
    const config = loadConfig({ EVENT_SINKS_FILE: join(dir, 'sinks.json') });
    assert.deepEqual(
      config.eventSinks.fileSinks.map((s) => [s.id, s.categories]),
      [['siem', ['token', 'grant', 'user', 'client', 'session']]],
    );
  });

  it('the GraphQL sets a sink (on a server that delivers nothing: the example URL is not ours)', async () => {
    const server = await startInjectServer({ env: { EVENT_SINKS_DELIVERY: 'off' } });
    dirs.push(server.dataDir);
    try {
      const admin = await registerClient(server, { scope: 'ledger:admin' });
      const token = await postForm(
        server,
        '/token',
        { grant_type: 'client_credentials' },
        basic(admin.clientId, admin.secret!),
      );
      const res = await server.fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token.body.access_token as string}` },
        body: JSON.stringify({ query: block('graphql') }),
      });
      const answer = (await res.json()) as {
        data?: { setEventSink: { id: string; parked: boolean } };
        errors?: unknown;
      };
      assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
      assert.equal(answer.data?.setEventSink.id, 'lake');
      const watched = await server.fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token.body.access_token as string}` },
        body: JSON.stringify({ query: block('watch') }),
      });
      const list = (await watched.json()) as { data?: { eventSinks: Array<{ id: string; parked: boolean }> } };
      assert.deepEqual(
        list.data?.eventSinks.map((s) => [s.id, s.parked]),
        [['lake', false]],
      );
    } finally {
      await server.close();
    }
  });

  it('the receiver verifies, de-duplicates by webhook-id and prints every event; tail prints them', async () => {
    const secret = JSON.parse(block('sinks-file')).sinks[0].secret as string;
    const work = mkdtempSync(join(tmpdir(), 'tl-feed-doc-'));
    dirs.push(work);
    symlinkSync(join(CHECKOUT, 'node_modules'), join(work, 'node_modules'));
    writeFileSync(join(work, 'receiver.mjs'), block('receiver'));
    const port = await freePort();
    const receiver = spawn(process.execPath, ['receiver.mjs'], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '', WEBHOOK_SECRET: secret, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    receiver.stdout.on('data', (d) => (out += d));
    const dataDir = tempDir();
    dirs.push(dataDir);
    const sinks = join(dataDir, 'sinks.json');
    writeFileSync(sinks, JSON.stringify({ sinks: [{ id: 'siem', url: `http://127.0.0.1:${port}/`, secret }] }));
    const server = await startTestServer({
      dataDir,
      env: { EVENT_SINKS_FILE: sinks, EVENT_SINKS_ALLOW_HTTP_LOOPBACK: 'true', EVENT_SINKS_RETRY_MAX_MS: '200' },
    });
    try {
      const events = await server.runtime.storeAsStored.readAll(0n, 10_000);
      const lines = () => out.trimEnd().split('\n').filter(Boolean);
      for (let i = 0; i < 200 && lines().length < events.length; i++) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(
        lines().map((l) => (JSON.parse(l) as { position: string }).position),
        events.map((e) => e.position.toString()),
      );

      // A replay of a delivered event (same webhook-id, valid signature) is answered but not handled twice;
      // a forged signature is refused.
      const { Webhook } = await import('standardwebhooks');
      const body = JSON.stringify({ ledgerposition: '1' });
      const now = new Date();
      const headers = {
        'webhook-id': events[0].id,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign(events[0].id, now, body),
      };
      assert.equal((await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers, body })).status, 204);
      const forged = { ...headers, 'webhook-signature': 'v1,AAAA' };
      assert.equal((await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: forged, body })).status, 401);
      assert.equal(lines().length, events.length);

      const [cmd, ...args] = block('tail').trim().split(/\s+/);
      assert.equal(cmd, 'token-ledger');
      const tail = await runCli(args, { DATA_DIR: dataDir });
      assert.equal(tail.code, 0, tail.stderr);
      assert.ok(tail.stdout.trimEnd().split('\n').length >= events.length);
    } finally {
      await server.close();
      receiver.kill('SIGTERM');
    }
  });
});
