import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { registerClient } from '../helpers/oauth.js';
import { removeDir, startTestServer, tempDir } from '../helpers/server.js';
import { newSecret, startReceiver } from '../helpers/webhookReceiver.js';
import { createTestDatabase, postgresSkip } from './database.js';

const KEY_ENCRYPTION_SECRET = 'feed-test-key-encryption-secret-0123456789';

describe('outbound feed on a PostgreSQL ledger', { skip: postgresSkip }, () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach(removeDir));

  it('delivers every event in order, positions kept in the ledger database', async () => {
    const db = await createTestDatabase();
    const secret = newSecret();
    const receiver = await startReceiver(secret);
    const dataDir = dir();
    const sinks = join(dataDir, 'sinks.json');
    writeFileSync(sinks, JSON.stringify({ sinks: [{ id: 'siem', url: receiver.url, secret }] }));
    const server = await startTestServer({
      dataDir,
      env: {
        DATABASE_URL: db.url,
        KEY_ENCRYPTION_SECRET,
        EVENT_SINKS_FILE: sinks,
        EVENT_SINKS_ALLOW_HTTP_LOOPBACK: 'true',
      },
    });
    try {
      for (let i = 0; i < 3; i++) await registerClient(server, {});
      const all = await server.runtime.storeAsStored.readAll(0n, 10_000);
      await receiver.until(() => new Set(receiver.accepted.map((r) => r.id)).size >= all.length);
      assert.deepEqual(
        [...new Set(receiver.accepted.map((r) => r.id))],
        all.map((e) => e.id),
      );
      assert.ok(receiver.accepted.every((r) => r.verified));
      const [row] = await db.sql<{ position: string }>(
        `SELECT position::text FROM sink_cursors WHERE sink_id = 'siem'`,
      );
      assert.equal(BigInt(row.position), all.at(-1)!.position);
      assert.equal(existsSync(join(dataDir, 'feed.sqlite')), false);
    } finally {
      await server.close();
      await receiver.close();
      await db.drop();
    }
  });

  it('two hosts (one ledger, two data directories): each event delivered exactly once, in order', async () => {
    const db = await createTestDatabase();
    const secret = newSecret();
    const receiver = await startReceiver(secret);
    const sinks = join(dir(), 'sinks.json');
    writeFileSync(sinks, JSON.stringify({ sinks: [{ id: 'siem', url: receiver.url, secret }] }));
    const env = {
      DATABASE_URL: db.url,
      KEY_ENCRYPTION_SECRET,
      EVENT_SINKS_FILE: sinks,
      EVENT_SINKS_ALLOW_HTTP_LOOPBACK: 'true',
    };
    const a = await startTestServer({ dataDir: dir(), env });
    const b = await startTestServer({ dataDir: dir(), env });
    try {
      for (let i = 0; i < 6; i++) await registerClient(i % 2 ? a : b, {});
      const all = await a.runtime.storeAsStored.readAll(0n, 10_000);
      await receiver.until(() => new Set(receiver.accepted.map((r) => r.id)).size >= all.length);
      // Time for a second deliverer, if there were one, to send again.
      await new Promise((r) => setTimeout(r, 1_000));
      assert.deepEqual(
        receiver.accepted.map((r) => r.id),
        all.map((e) => e.id),
      );
      for (const server of [a, b]) assert.equal(existsSync(join(server.dataDir, 'feed.sqlite')), false);
    } finally {
      await a.close();
      await b.close();
      await receiver.close();
      await db.drop();
    }
  });
});
