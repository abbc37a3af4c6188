import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER } from '../helpers/cli.js';
import { freePort, removeDir, tempDir } from '../helpers/server.js';

describe('graceful shutdown', () => {
  const dataDir = tempDir();
  after(() => removeDir(dataDir));

  it('on SIGTERM finishes, checkpoints the views, closes the ledger and exits 0', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [SERVER], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 300; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGTERM');
    assert.equal(await exited, 0, `exit code (stderr: ${stderr})`);
    assert.ok(existsSync(join(dataDir, 'views', 'views.checkpoint')), 'the views were checkpointed');
  });
});
