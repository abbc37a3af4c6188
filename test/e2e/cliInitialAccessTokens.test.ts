import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../../src/crypto/hash.js';
import { runCli } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/server.js';

describe('token-ledger initial-access-tokens (no server running)', () => {
  const dataDir = tempDir();
  const env = { DATA_DIR: dataDir };
  after(() => removeDir(dataDir));

  it('mints a token shown once, recorded by its hash only; refuses bad flags writing nothing', async () => {
    assert.equal((await runCli(['clients', 'create', '--client-id', 'seed'], env)).code, 0);
    const ran = await runCli(['initial-access-tokens', 'create', '--expires-in', '600', '--uses', '3', '--json'], env);
    assert.equal(ran.code, 0, ran.stderr);
    const out = JSON.parse(ran.stdout);
    assert.match(out.initial_access_token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(out.uses, 3);
    assert.ok(Math.abs(out.expires_at - (Date.now() / 1000 + 600)) < 30);
    const file = join(dataDir, 'export.ndjson');
    assert.equal((await runCli(['export', '--out', file], env)).code, 0);
    const exported = readFileSync(file, 'utf8');
    assert.ok(!exported.includes(out.initial_access_token), 'the token itself is never recorded');
    assert.ok(exported.includes(sha256(out.initial_access_token)), 'its hash names the record');
    const events = async () => JSON.parse((await runCli(['verify', '--json'], env)).stdout).events as number;
    const before = await events();
    for (const args of [
      ['--uses', '0'],
      ['--expires-in', '-5'],
      ['--expires-in', 'soon'],
    ]) {
      const refused = await runCli(['initial-access-tokens', 'create', ...args], env);
      assert.equal(refused.code, 1, args.join(' '));
      assert.match(refused.stderr, /expected a whole number, 1 or more/);
    }
    assert.equal(await events(), before);
  });
});
