import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { openSqliteEventStore } from '../../src/stores/sqlite/sqliteEventStore.js';
import { hasValidHash } from '../../src/eventsourcing/integrity.js';
import { removeDir, tempDir } from '../helpers/server.js';

const APPENDER = fileURLToPath(new URL('../fixtures/appender.js', import.meta.url));

/** Runs the appender until it has acknowledged `atLeast` appends (plus a random extra moment), then SIGKILLs it. */
function burstThenKill(file: string, atLeast: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [APPENDER, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buffered = '';
    const acked: string[] = [];
    let armed = false;
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      acked.push(...lines);
      if (!armed && acked.length >= atLeast) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 50));
      }
    });
    child.on('error', reject);
    child.on('close', () => resolve(acked));
  });
}

describe('crash durability of the embedded ledger', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  it('keeps every acknowledged append when the writer process is killed with SIGKILL mid-burst', async () => {
    const file = join(dir, 'ledger.sqlite');
    const allAcked: string[] = [];
    for (let cycle = 0; cycle < 3; cycle++) allAcked.push(...(await burstThenKill(file, 300 + cycle * 200)));
    assert.ok(allAcked.length >= 900, `acknowledged ${allAcked.length}`);
    const store = await openSqliteEventStore(file);
    try {
      const present = new Map<string, boolean>();
      let after = 0n;
      for (;;) {
        const page = await store.readAll(after, 5000);
        if (page.length === 0) break;
        for (const e of page) present.set(e.id, hasValidHash(e));
        after = page[page.length - 1].position;
      }
      const lost = allAcked.filter((id) => !present.has(id));
      assert.deepEqual(lost, [], `${lost.length} acknowledged appends lost of ${allAcked.length}`);
      assert.ok([...present.values()].every(Boolean), 'every surviving event verifies');
    } finally {
      await store.close();
    }
  });
});
