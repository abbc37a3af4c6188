import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqliteEventStore } from '../../src/stores/sqlite/sqliteEventStore.js';
import { CLI } from '../helpers/cli.js';
import { registerClient } from '../helpers/oauth.js';
import { freePort, removeDir, startTestServer, tempDir } from '../helpers/server.js';
import { newSecret, startReceiver } from '../helpers/webhookReceiver.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the server and answers it once ready. `spawned` hears of it at once: the feed delivers before readiness
 * shows at /readyz, so the receiver may have to kill it before this returns.
 */
async function serve(env: Record<string, string>, spawned: (child: ChildProcess) => void): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'serve'], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  spawned(child);
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('the server stopped before it was ready');
    try {
      if ((await fetch(`http://127.0.0.1:${env.PORT}/readyz`)).status === 200) return child;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error('the server did not get ready');
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

describe('outbound feed across a SIGKILL of the server', () => {
  const dir = tempDir();
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    removeDir(dir);
  });

  it('loses nothing; the event in flight is sent again with the same webhook-id', async () => {
    // A ledger with some history, written before any sink exists.
    const first = await startTestServer({ dataDir: dir });
    for (let i = 0; i < 12; i++) await registerClient(first, {});
    await first.close();

    const secret = newSecret();
    let child: ChildProcess | undefined;
    const KILL_AT = 5;
    // The receiver takes the sixth event, but the server is killed before it hears the 204: at-least-once.
    const receiver = await startReceiver(secret, (n) => {
      if (n === KILL_AT) child!.kill('SIGKILL');
      return 'ok';
    });
    const sinks = join(dir, 'sinks.json');
    writeFileSync(sinks, JSON.stringify({ sinks: [{ id: 'siem', url: receiver.url, secret }] }));
    const env = {
      DATA_DIR: dir,
      PORT: String(await freePort()),
      EVENT_SINKS_FILE: sinks,
      EVENT_SINKS_ALLOW_HTTP_LOOPBACK: 'true',
      EVENT_SINKS_RETRY_MAX_MS: '200',
    };
    try {
      const spawned = (c: ChildProcess) => {
        child = c;
        children.push(c);
      };
      await serve(env, spawned).catch(() => undefined); // killed by the receiver, possibly before it was ready
      await exited(child!);
      assert.equal(child!.signalCode, 'SIGKILL');
      assert.equal(receiver.accepted.length, KILL_AT + 1);

      child = await serve(env, spawned);
      const store = await openSqliteEventStore(join(dir, 'ledger.sqlite'));
      let ids: string[];
      try {
        ids = (await store.readAll(0n, 10_000)).map((e) => e.id);
      } finally {
        await store.close();
      }
      await receiver.until(() => new Set(receiver.accepted.map((r) => r.id)).size >= ids.length);
      child.kill('SIGTERM');
      await exited(child);

      // A graceful stop seals what came since the last seal (here the console client's new redirect URI, written at
      // this start): that seal may be delivered before the feed stops, or at the next start. Either way, in order.
      const reopened = await openSqliteEventStore(join(dir, 'ledger.sqlite'));
      let final: Array<{ id: string; type: string }>;
      try {
        final = (await reopened.readAll(0n, 10_000)).map((e) => ({ id: e.id, type: e.type }));
      } finally {
        await reopened.close();
      }
      const firstSeen = [...new Set(receiver.accepted.map((r) => r.id))];
      assert.deepEqual(firstSeen.slice(0, ids.length), ids, 'every event, in ledger order');
      assert.deepEqual(
        firstSeen,
        final.slice(0, firstSeen.length).map((e) => e.id),
        'nothing else, in ledger order',
      );
      assert.ok(
        final.slice(ids.length).every((e) => e.type === 'LedgerSealed'),
        'only the shutdown seal came after',
      );
      const byId = new Map<string, string[]>();
      for (const r of receiver.accepted) byId.set(r.id, [...(byId.get(r.id) ?? []), r.body]);
      const repeated = [...byId].filter(([, bodies]) => bodies.length > 1);
      assert.deepEqual(
        repeated.map(([id]) => id),
        [ids[KILL_AT]],
        'only the event in flight is repeated',
      );
      assert.equal(new Set(repeated[0][1]).size, 1, 'the repeat is the same CloudEvent');
      assert.ok(receiver.accepted.every((r) => r.verified));
    } finally {
      await receiver.close();
    }
  });
});
