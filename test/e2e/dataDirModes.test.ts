import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { removeDir, startTestServer, tempDir } from '../helpers/server.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import { createUser } from '../helpers/flow.js';

/** Every entry under `dir` with its permission bits, as `path mode` lines (octal). */
function modes(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      out.push(`${relative(dir, p)} ${(st.mode & 0o777).toString(8)}`);
      if (st.isDirectory()) walk(p);
    }
  };
  out.push(`. ${(statSync(dir).mode & 0o777).toString(8)}`);
  walk(dir);
  return out.sort();
}

const privateModes = (entries: string[]) => entries.filter((e) => !/ (700|600)$/.test(e));

describe('DATA_DIR and what the server writes in it are owner-only', () => {
  it('a new DATA_DIR is 0700 and every file 0600: ledger, -wal, -shm, history index, checkpoint, secret, CLI export', async () => {
    const parent = tempDir();
    const dataDir = join(parent, 'data');
    // A permissive umask must change nothing: the modes are set explicitly.
    const umask = process.umask(0o002);
    try {
      const server = await startTestServer({ dataDir });
      try {
        const client = await registerClient(server, {});
        await createUser(server, 'mode-check');
        const token = await postForm(
          server,
          '/token',
          { grant_type: 'client_credentials' },
          basic(client.clientId, client.secret!),
        );
        assert.equal(token.status, 200, token.text);
        const running = modes(dataDir);
        assert.ok(
          running.some((e) => e.startsWith('ledger.sqlite-wal ')),
          running.join('\n'),
        );
        assert.ok(
          running.some((e) => e.startsWith('views/history.sqlite ')),
          running.join('\n'),
        );
        assert.deepEqual(privateModes(running), [], 'while running');
      } finally {
        await server.close();
      }
      const closed = modes(dataDir);
      assert.ok(
        closed.some((e) => e.startsWith('views/') && !e.startsWith('views/history') && e !== 'views 700'),
        `a checkpoint was written: ${closed.join('\n')}`,
      );
      assert.deepEqual(privateModes(closed), [], 'after the checkpoint');

      const out = join(parent, 'export.ndjson');
      writeFileSync(out, 'older export\n', { mode: 0o644 });
      chmodSync(out, 0o644);
      const ran = await runCli(['export', '--out', out], { DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
      assert.equal(ran.code, 0, ran.stderr);
      assert.equal((statSync(out).mode & 0o777).toString(8), '600', 'an export, even over an older file');
    } finally {
      process.umask(umask);
      removeDir(parent);
    }
  });

  it('an existing DATA_DIR keeps the mode its operator chose', async () => {
    const dataDir = tempDir();
    chmodSync(dataDir, 0o750);
    mkdirSync(join(dataDir, 'views'), { recursive: true });
    try {
      const server = await startTestServer({ dataDir });
      await server.close();
      assert.equal((statSync(dataDir).mode & 0o777).toString(8), '750');
      assert.equal(
        (statSync(join(dataDir, 'ledger.sqlite')).mode & 0o777).toString(8),
        '600',
        'new files in it are still private',
      );
    } finally {
      removeDir(dataDir);
    }
  });
});
