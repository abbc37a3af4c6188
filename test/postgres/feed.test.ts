import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { registerClient } from '../helpers/oauth.js';
import { removeDir, startTestServer, tempDir } from '../helpers/server.js';
import { newSecret, startReceiver } from '../helpers/webhookReceiver.js';
import { createTestDatabase, postgresSkip } from './database.js';

describe('outbound feed on a PostgreSQL ledger', { skip: postgresSkip }, () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  it('delivers every event in order, positions kept in DATA_DIR/feed.sqlite', async () => {
    const db = await createTestDatabase();
    const secret = newSecret();
    const receiver = await startReceiver(secret);
    const sinks = join(dir, 'sinks.json');
    writeFileSync(sinks, JSON.stringify({ sinks: [{ id: 'siem', url: receiver.url, secret }] }));
    const server = await startTestServer({
      dataDir: dir,
      env: {
        DATABASE_URL: db.url,
        KEY_ENCRYPTION_SECRET: 'feed-test-key-encryption-secret-0123456789',
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
    } finally {
      await server.close();
      await receiver.close();
      await db.drop();
    }
  });
});
