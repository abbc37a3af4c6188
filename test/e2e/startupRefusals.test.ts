import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runNode, SERVER } from '../helpers/cli.js';
import { serverEnv, signal, spawnServer } from '../helpers/faultsServer.js';
import { removeDir, tempDir } from '../helpers/server.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const oneLine = (stderr: string) => stderr.trim().split('\n');

/** Starts the real server process and expects it to refuse with exactly one line on stderr. */
async function expectRefusal(env: Record<string, string>, pattern: RegExp) {
  const ran = await runNode(SERVER, [], { PORT: '0', ...env });
  assert.equal(ran.code, 1, `exit code (stderr: ${ran.stderr})`);
  const lines = oneLine(ran.stderr);
  assert.equal(lines.length, 1, `one line: ${ran.stderr}`);
  assert.match(lines[0], pattern);
}

describe('the server refuses to start, with one clear line and an untouched ledger', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  it('on a bad environment variable', async () => {
    await expectRefusal(
      { DATA_DIR: join(dir, 'x'), PORT: 'abc' },
      /^token-ledger: PORT="abc" is invalid: expected a whole number/,
    );
    assert.equal(existsSync(join(dir, 'x')), false, 'nothing created');
  });

  it('on a file that is not a database', async () => {
    const d = join(dir, 'corrupt');
    mkdirSync(d);
    writeFileSync(join(d, 'ledger.sqlite'), 'this is not a database at all, just text '.repeat(200));
    const before = sha(join(d, 'ledger.sqlite'));
    await expectRefusal({ DATA_DIR: d }, /^token-ledger: .*ledger\.sqlite is not a token-ledger ledger/);
    assert.equal(sha(join(d, 'ledger.sqlite')), before);
  });

  it('on a foreign SQLite database', async () => {
    const d = join(dir, 'foreign');
    mkdirSync(d);
    const db = new Database(join(d, 'ledger.sqlite'));
    db.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('x')");
    db.close();
    const before = sha(join(d, 'ledger.sqlite'));
    await expectRefusal({ DATA_DIR: d }, /^token-ledger: .*is not a token-ledger ledger \(format missing/);
    assert.equal(sha(join(d, 'ledger.sqlite')), before);
  });

  it('on a wrong or missing KEY_ENCRYPTION_SECRET', async () => {
    const d = join(dir, 'keys');
    // Until ready (its keys generated), however long a loaded machine takes; then stopped.
    const first = await spawnServer({ ...(await serverEnv(d)), KEY_ENCRYPTION_SECRET: 'a'.repeat(40) });
    await signal(first, 'SIGTERM');
    assert.ok(existsSync(join(d, 'ledger.sqlite')), 'ledger created');
    const db = new Database(join(d, 'ledger.sqlite'), { readonly: true });
    const count = () => (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    const events = count();
    const types = db.prepare('SELECT type FROM events ORDER BY position').all() as Array<{ type: string }>;
    // Two signing keys, the seal key and the console's client at the first start, and the seal its graceful stop
    // appends.
    assert.deepEqual(types.map((t) => t.type).sort(), [
      'ClientRegistered',
      'LedgerSealed',
      'SealKeyGenerated',
      'SigningKeyGenerated',
      'SigningKeyGenerated',
    ]);
    await expectRefusal(
      { DATA_DIR: d, KEY_ENCRYPTION_SECRET: 'b'.repeat(40) },
      /^token-ledger: signing key .* cannot be decrypted: KEY_ENCRYPTION_SECRET is not the one it was encrypted with$/,
    );
    await expectRefusal(
      { DATA_DIR: d },
      /^token-ledger: KEY_ENCRYPTION_SECRET is missing: the ledger has signing keys but .* is gone/,
    );
    assert.equal(count(), events, 'nothing appended');
    db.close();
  });

  it('on an unreachable EventStoreDB', async () => {
    const d = join(dir, 'esdb');
    await expectRefusal(
      {
        DATA_DIR: d,
        EVENTSTORE_CONNECTION_STRING: 'esdb://127.0.0.1:1?tls=false',
        KEY_ENCRYPTION_SECRET: 'a'.repeat(40),
      },
      /^token-ledger: .*(unreachable|unavailable|cannot reach|connect)/i,
    );
    rmSync(d, { recursive: true, force: true });
  });
});
