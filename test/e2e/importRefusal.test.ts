import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/server.js';

const env = (dataDir: string) => ({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' });

describe('a refused import creates no ledger', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = tempDir('tl-import-');
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach(removeDir));

  it('a file that is not an export: refused naming the line; DATA_DIR stays empty and the next import can still run', async () => {
    const file = join(dir(), 'not-an-export.ndjson');
    writeFileSync(file, '{"id":"x"}\n');
    const dataDir = dir();
    const r = await runCli(['import', '--in', file], env(dataDir));
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `token-ledger: ${file} line 1: not an exported event (expected id, type, stream, revision, data, metadata with prevHash and hash)\n`,
    );
    assert.deepEqual(readdirSync(dataDir), [], 'no ledger file, no WAL, nothing');
    // verify still tells the operator there is no ledger here, rather than calling an empty one sound.
    const v = await runCli(['verify'], env(dataDir));
    assert.equal(v.code, 1);
    assert.match(v.stderr, /holds no ledger/);
  });

  it('a file that does not exist: one line naming it, and no DATA_DIR is created', async () => {
    const dataDir = join(dir(), 'new-data');
    const r = await runCli(['import', '--in', join(dataDir, '..', 'missing.ndjson')], env(dataDir));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^token-ledger: .*missing\.ndjson/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.ok(!existsSync(dataDir), 'DATA_DIR was not created');
  });
});
