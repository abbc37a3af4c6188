import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { EventStore, NewEvent } from '../../src/eventsourcing/eventStore.js';
import { openSqliteEventStore } from '../../src/stores/sqlite/sqliteEventStore.js';
import { IMPORT_BATCH_BYTES, exportLedger, importLedger } from '../../src/audit/exportImport.js';
import { removeDir, tempDir } from '../helpers/server.js';

// 4 KiB per event: 500 of them (the old batch) are 2 MiB, twice EventStoreDB's default maximum append size.
const throttled = (): NewEvent => ({
  id: randomUUID(),
  type: 'LoginThrottled',
  data: { tier: 'ip', subject: '192.0.2.1', failures: 5, until: new Date(0).toISOString() },
  metadata: {
    actor: 'system',
    correlationId: randomUUID(),
    causationId: null,
    schemaVersion: 1,
    reason: 'x'.repeat(4096),
  },
});

test('import sends appends under the maximum append size, however many events a stream has', async () => {
  const dir = tempDir();
  const source = await openSqliteEventStore(join(dir, 'source.sqlite'));
  const target = await openSqliteEventStore(join(dir, 'target.sqlite'));
  try {
    for (let i = 0; i < 5; i++)
      await source.append('throttle-1', Array.from({ length: 100 }, throttled), i === 0 ? 'no_stream' : i * 100 - 1);
    const file = join(dir, 'ledger.jsonl');
    await exportLedger(source, file);

    const sizes: number[] = [];
    const recording: EventStore = Object.assign(Object.create(target) as EventStore, {
      append: (stream: string, events: NewEvent[], expected: Parameters<EventStore['append']>[2]) => {
        sizes.push(Buffer.byteLength(JSON.stringify(events)));
        return target.append(stream, events, expected);
      },
    });
    const { events } = await importLedger(recording, file);
    assert.equal(events, 500);
    assert.ok(sizes.length > 1, `split into ${sizes.length} appends`);
    for (const size of sizes) assert.ok(size <= IMPORT_BATCH_BYTES, `an append of ${size} bytes`);
    assert.equal((await target.readStream('throttle-1')).length, 500);
  } finally {
    await source.close();
    await target.close();
    removeDir(dir);
  }
});
