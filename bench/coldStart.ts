import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteEventStore } from '../src/ledger/sqlite/sqliteEventStore.js';
import { fillLedger } from './ledgerAppends.js';

const SERVER = fileURLToPath(new URL('../src/server.js', import.meta.url));
export const BENCH_SECRET = 'bench-key-encryption-secret-0123456789abcdef';

/** Launches the real server and measures launch → first `/readyz` 200, then stops it with SIGTERM. */
async function timeToReady(dataDir: string, port: number): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', KEY_ENCRYPTION_SECRET: BENCH_SECRET },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    for (;;) {
      if (performance.now() - started > 120_000) throw new Error('server not ready within 120 s');
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        if (res.status === 200) return (performance.now() - started) / 1000;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

export async function measureColdStart(dir: string, events: number) {
  const dataDir = join(dir, 'cold');
  const store = await openSqliteEventStore(join(dataDir, 'ledger.sqlite'));
  const fillStarted = performance.now();
  await fillLedger(store, events);
  const fillSeconds = (performance.now() - fillStarted) / 1000;
  await store.close();
  // First launch: no checkpoint, every view rebuilt from the first event. Second: from the checkpoint.
  const rebuild = await timeToReady(dataDir, 3290);
  const fromCheckpoint = await timeToReady(dataDir, 3291);
  return { events, fillSeconds, rebuild, fromCheckpoint };
}
