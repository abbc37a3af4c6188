import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { serverEnv, signal, spawnServer, type ServerProcess } from '../helpers/faultsServer.js';
import { removeDir, tempDir } from '../helpers/server.js';
import { LEDGER_FILE } from '../../src/runtime.js';

interface Jwk {
  kid: string;
  alg: string;
}

describe('several server processes starting at once on a new DATA_DIR', () => {
  const dataDir = join(tempDir(), 'data');
  let servers: ServerProcess[] = [];
  after(async () => {
    for (const s of servers) await signal(s, 'SIGTERM');
    removeDir(join(dataDir, '..'));
  });

  it('agree on one signing key per algorithm (and on one key-encryption secret)', async () => {
    // No KEY_ENCRYPTION_SECRET: the three also race to create the secret file beside the ledger.
    const envs = await Promise.all([0, 1, 2].map(async () => {
      const { KEY_ENCRYPTION_SECRET: _ignored, ...env } = await serverEnv(dataDir);
      return env as Awaited<ReturnType<typeof serverEnv>>;
    }));
    const started = await Promise.allSettled(envs.map((env) => spawnServer(env)));
    servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    assert.deepEqual(started.map((s) => s.status), ['fulfilled', 'fulfilled', 'fulfilled'], 'every process starts');

    const jwks = await Promise.all(servers.map(async (s) => ((await (await fetch(`${s.url}/jwks`)).json()) as { keys: Jwk[] }).keys));
    for (const keys of jwks) {
      assert.deepEqual(keys.map((k) => k.alg).sort(), ['ES256', 'RS256'], 'one key per algorithm');
      assert.deepEqual(keys.map((k) => k.kid).sort(), jwks[0]!.map((k) => k.kid).sort(), 'the same keys on every instance');
    }
    const db = new Database(join(dataDir, LEDGER_FILE), { readonly: true });
    try {
      const generated = db.prepare("SELECT count(*) AS n FROM events WHERE type = 'SigningKeyGenerated'").get() as { n: number };
      assert.equal(generated.n, 2, 'exactly two SigningKeyGenerated events in the ledger');
    } finally {
      db.close();
    }
  });
});
