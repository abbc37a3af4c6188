import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/server.js';
import { upcaster } from '../../src/eventsourcing/upcasting.js';
import type { RecordedEvent } from '../../src/eventsourcing/eventStore.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/ledger-v1.ndjson', import.meta.url));
const EXPECTED = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/ledger-v1.replay.json', import.meta.url), 'utf8'),
);

describe('a ledger written by the first release', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeDir));

  it('imports, verifies and replays to the same counts under this release', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const env = { DATA_DIR: dir, KEY_ENCRYPTION_SECRET: 'fixture-key-encryption-secret-0123456789' };
    const imported = await runCli(['import', '--in', FIXTURE, '--json'], env);
    assert.equal(imported.code, 0, imported.stderr);
    const verified = await runCli(['verify', '--json'], env);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    const replay = JSON.parse((await runCli(['replay', '--json'], env)).stdout);
    // The digest covers every view this release has, so it moves when views are added; the counts may not.
    const { digest, ...counts } = replay;
    const { digest: _old, ...expected } = EXPECTED;
    assert.deepEqual(counts, expected);
    assert.match(digest, /^[0-9a-f]{64}$/);
    assert.equal(JSON.parse((await runCli(['replay', '--json'], env)).stdout).digest, digest, 'stable across runs');
  });
});

describe('upcasters', () => {
  const event = (version: number, data: unknown) =>
    ({
      id: 'e',
      type: 'Thing',
      stream: 's-1',
      revision: 0,
      position: 1n,
      recordedAt: new Date(0),
      data,
      metadata: { schemaVersion: version, actor: 'a', correlationId: 'c', causationId: null, prevHash: '', hash: 'h' },
    }) as RecordedEvent;

  it('bring old data to the current version in order, and leave the recorded metadata alone', () => {
    const up = upcaster([
      {
        type: 'Thing',
        from: 1,
        up: (d) => ({ ...(d as object), renamed: (d as { old: string }).old, old: undefined }),
      },
      { type: 'Thing', from: 2, up: (d) => ({ ...(d as object), added: true }) },
    ]);
    const v1 = event(1, { old: 'x' });
    const current = up(v1);
    assert.deepEqual(current.data, { old: undefined, renamed: 'x', added: true });
    assert.deepEqual(current.metadata, v1.metadata, 'what was hashed stays visible');
    assert.deepEqual(up(event(3, { fresh: 1 })).data, { fresh: 1 }, 'an event at the current version passes through');
  });
});
