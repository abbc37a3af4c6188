import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { serverEnv, signal, spawnServer, type ServerProcess } from '../helpers/faultsServer.js';
import { removeDir, tempDir } from '../helpers/server.js';
import { LEDGER_FILE, openRuntime, type Runtime } from '../../src/runtime.js';
import { loadConfig } from '../../src/config/config.js';
import { ensureSigningKeys, readKeyring } from '../../src/application/keyring.js';

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
    const envs = await Promise.all(
      [0, 1, 2].map(async () => {
        const { KEY_ENCRYPTION_SECRET: _ignored, ...env } = await serverEnv(dataDir);
        return env as Awaited<ReturnType<typeof serverEnv>>;
      }),
    );
    const started = await Promise.allSettled(envs.map((env) => spawnServer(env)));
    servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    assert.deepEqual(
      started.map((s) => s.status),
      ['fulfilled', 'fulfilled', 'fulfilled'],
      'every process starts',
    );

    const jwks = await Promise.all(
      servers.map(async (s) => ((await (await fetch(`${s.url}/jwks`)).json()) as { keys: Jwk[] }).keys),
    );
    for (const keys of jwks) {
      assert.deepEqual(keys.map((k) => k.alg).sort(), ['ES256', 'RS256'], 'one key per algorithm');
      assert.deepEqual(
        keys.map((k) => k.kid).sort(),
        jwks[0].map((k) => k.kid).sort(),
        'the same keys on every instance',
      );
    }
    const db = new Database(join(dataDir, LEDGER_FILE), { readonly: true });
    try {
      const generated = db.prepare("SELECT count(*) AS n FROM events WHERE type = 'SigningKeyGenerated'").get() as {
        n: number;
      };
      assert.equal(generated.n, 2, 'exactly two SigningKeyGenerated events in the ledger');
    } finally {
      db.close();
    }
  });
});

describe('the keyring race, through the command path on one ledger', () => {
  const dir = tempDir();
  const runtimes: Runtime[] = [];
  after(async () => {
    for (const rt of runtimes) await rt.close();
    removeDir(dir);
  });

  it("the instance whose clock was read first, and which appends last, adopts the winner's keys", async () => {
    const open = async () => {
      const rt = await openRuntime(loadConfig({ DATA_DIR: dir, KEY_ENCRYPTION_SECRET: 'k'.repeat(40) }), {
        role: 'cli',
      });
      runtimes.push(rt);
      await rt.runner.start();
      return rt;
    };
    const [winner, loser] = [await open(), await open()];
    const now = Date.now();
    // The winner read its clock 200 ms later but generated its keys faster and appended first.
    assert.equal((await ensureSigningKeys(winner.ports, now + 200)).length, 2);
    assert.deepEqual(await ensureSigningKeys(loser.ports, now), [], 'nothing generated on top of the winner');
    assert.deepEqual([...(await readKeyring(loser.ports)).keys.values()].map((k) => k.alg).sort(), ['ES256', 'RS256']);
  });
});
