/**
 * Live delivery by LISTEN/NOTIFY: a notification carries only the new head position; a listener
 * whose connection is cut reconnects and catches up from its last position, missing nothing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { NewEvent, RecordedEvent } from '../../src/eventsourcing/eventStore.js';
import { openPostgresEventStore, type PostgresEventStore } from '../../src/stores/postgres/postgresEventStore.js';
import { createTestDatabase, postgresSkip, type TestDatabase } from './database.js';

const ev = (n: number): NewEvent => ({
  id: randomUUID(),
  type: 'ThingHappened',
  data: { n, secret: 'not-in-notifications' },
  metadata: { actor: 'system', correlationId: randomUUID(), causationId: null, schemaVersion: 1 },
});

async function until(predicate: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('PostgreSQL ledger: live delivery', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let writer: PostgresEventStore;
  let reader: PostgresEventStore;

  before(async () => {
    db = await createTestDatabase();
    writer = await openPostgresEventStore(db.settings());
    reader = await openPostgresEventStore(db.settings());
  });
  after(async () => {
    await writer?.close();
    await reader?.close();
    await db?.drop();
  });

  it('notifies the new head position and nothing else', async () => {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    const payloads: string[] = [];
    listener.on('notification', (n) => payloads.push(n.payload ?? ''));
    await listener.query('LISTEN token_ledger');
    try {
      const r = await writer.append(`test-${randomUUID()}`, [ev(1), ev(2)], 'no_stream');
      await until(() => payloads.length > 0, 2000);
      assert.deepEqual(payloads, [r.position.toString()]);
    } finally {
      await listener.end();
    }
  });

  it('reconnects a lost listener and catches up from its last position, each event once', async () => {
    const seen: RecordedEvent[] = [];
    const start = await reader.headPosition();
    const sub = reader.subscribe(start, (batch) => void seen.push(...batch));
    try {
      await until(() => reader.listening, 3000);
      const stream = `test-${randomUUID()}`;
      await writer.append(stream, [ev(0)], 'no_stream');
      await until(() => seen.length === 1, 2000);

      // The server ends the LISTEN connection (as a restart or a network cut would).
      const [killed] = await db.sql<{ n: string }>(
        `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
      );
      assert.ok(Number(killed.n) >= 1);
      await until(() => !reader.listening, 2000);
      // Appended by another instance while nobody listens: no notification reaches the reader.
      for (let i = 1; i <= 3; i++) await writer.append(stream, [ev(i)], i - 1);

      await until(() => seen.length === 4, 10_000);
      assert.ok(reader.listening, 'listening again');
      assert.deepEqual(
        seen.map((e) => (e.data as { n: number }).n),
        [0, 1, 2, 3],
      );
      // And live again afterwards.
      await writer.append(stream, [ev(4)], 3);
      await until(() => seen.length === 5, 2000);
      assert.deepEqual(seen, await reader.readAll(start, 100));
    } finally {
      await sub.close();
    }
  });
});
