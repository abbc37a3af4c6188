import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from '../helpers/cli.js';
import { freePort, removeDir, tempDir } from '../helpers/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitReady(port: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`no /readyz 200 on port ${port}`);
}

/** Gone, or a zombie nobody reaps (a container's init may not): either way it no longer runs. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function exitsWithin(pid: number, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (!running(pid)) return true;
  return !running(pid);
}

describe('token-ledger serve stops on SIGTERM', () => {
  const dirs: string[] = [];
  const strays: number[] = [];
  after(() => {
    for (const pid of strays) if (running(pid)) process.kill(pid, 'SIGKILL');
    for (const d of dirs) removeDir(d);
  });

  it('node bin/token-ledger.js serve: SIGTERM checkpoints the views and exits 0 within seconds', async () => {
    const dataDir = tempDir('tl-serve-');
    dirs.push(dataDir);
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, 'serve'], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    strays.push(child.pid!);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitReady(port);
    const sent = Date.now();
    child.kill('SIGTERM');
    assert.equal(await exited, 0, `exit code (stderr: ${stderr})`);
    assert.ok(Date.now() - sent < 10_000, `exited ${Date.now() - sent} ms after SIGTERM`);
    assert.ok(existsSync(join(dataDir, 'views', 'views.checkpoint')), 'the views were checkpointed');
  });

  it('started by npm (npx token-ledger serve: npm → sh → node), it stops when a SIGTERM ends its launcher', async () => {
    const dataDir = tempDir('tl-serve-');
    dirs.push(dataDir);
    const port = await freePort();
    // The shell npm exec runs the bin in: it dies of the SIGTERM and does not pass it on.
    const shell = spawn('/bin/sh', ['-c', `"${process.execPath}" "${CLI}" serve & echo $!; wait`], {
      env: {
        PATH: process.env.PATH ?? '',
        DATA_DIR: dataDir,
        PORT: String(port),
        LOG_LEVEL: 'silent',
        npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js',
        npm_command: 'exec',
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const pid = await new Promise<number>((resolve) =>
      shell.stdout.once('data', (d) => resolve(Number(String(d).trim()))),
    );
    strays.push(pid);
    await waitReady(port);
    shell.kill('SIGTERM');
    assert.ok(await exitsWithin(pid, 10_000), 'the server stopped after its launcher was terminated');
    assert.ok(
      existsSync(join(dataDir, 'views', 'views.checkpoint')),
      'it stopped as on SIGTERM: the views were checkpointed',
    );
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'the port is free again');
  });
});
