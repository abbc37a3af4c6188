/**
 * Positions must become visible in position order: a subscriber that has read up to p must never
 * later find an event at or below p (it would have skipped it). Several independent connection
 * pools (as several instances would) append at once while a subscriber on yet another pool checks
 * that every event arrives exactly once, each at the position right after the previous one.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { NewEvent, RecordedEvent } from '../../src/eventsourcing/eventStore.js';
import { openPostgresEventStore, type PostgresEventStore } from '../../src/stores/postgres/postgresEventStore.js';
import { createTestDatabase, postgresSkip, type TestDatabase } from './database.js';

const ev = (n: number): NewEvent => ({
  id: randomUUID(),
  type: 'ThingHappened',
  data: { n },
  metadata: { actor: 'system', correlationId: randomUUID(), causationId: null, schemaVersion: 1 },
});

describe('PostgreSQL ledger: global order under concurrent writers', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  const stores: PostgresEventStore[] = [];

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    for (const s of stores) await s.close();
    await db?.drop();
  });

  it('delivers every event exactly once, in position order, with no gap filled later', async () => {
    const writers = await Promise.all(
      Array.from({ length: 4 }, () => openPostgresEventStore(db.settings({ DATABASE_POOL_SIZE: '4' }))),
    );
    const reader = await openPostgresEventStore(db.settings());
    stores.push(...writers, reader);
    let batches = 0;
    const seen: RecordedEvent[] = [];
    const problems: string[] = [];
    const sub = reader.subscribe(
      0n,
      (batch) => {
        for (const e of batch) {
          const expected = (seen[seen.length - 1]?.position ?? 0n) + 1n;
          if (e.position !== expected) problems.push(`got position ${e.position} after ${expected - 1n}`);
          seen.push(e);
        }
      },
      { onError: (err) => problems.push(err.message) },
    );

    // Per writer, 8 concurrent loops of 25 appends: contended transactions, group commits of several appends.
    const appended: string[] = [];
    await Promise.all(
      writers.flatMap((w) =>
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < 25; i++) {
            const events = Array.from({ length: 1 + (i % 3) }, (_, k) => ev(k));
            await w.append(`test-${randomUUID().replaceAll('-', '')}`, events, 'no_stream');
            appended.push(...events.map((e) => e.id));
          }
        }),
      ),
    );
    const head = await reader.headPosition();
    const deadline = Date.now() + 10_000;
    while (seen.length < appended.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await sub.close();
    batches = seen.length;

    assert.deepEqual(problems, []);
    assert.equal(head, BigInt(appended.length), 'positions are dense: 1…n');
    assert.equal(batches, appended.length);
    assert.equal(new Set(seen.map((e) => e.id)).size, seen.length, 'no event twice');
    assert.deepEqual(new Set(seen.map((e) => e.id)), new Set(appended), 'every appended event delivered');
    assert.deepEqual(seen, await reader.readAll(0n, 10_000), 'delivered exactly as the ledger reads');
  });

  it('group-commits appends that arrive together and acknowledges them after COMMIT', async () => {
    const sizes: number[] = [];
    const store = await openPostgresEventStore(db.settings(), { onBatch: (s) => sizes.push(s.size) });
    stores.push(store);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.append(`test-${randomUUID()}`, [ev(i)], 'no_stream')),
    );
    assert.ok(sizes.length < 50, `50 appends in ${sizes.length} transactions`);
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      50,
    );
    // Acknowledged means committed: another connection reads every one of them now.
    const [row] = await db.sql<{ n: string }>('SELECT count(*) AS n FROM events WHERE position = ANY($1::bigint[])', [
      results.map((r) => r.position.toString()),
    ]);
    assert.equal(Number(row.n), 50);
    const [sync] = await db.sql<{ s: string }>(`SELECT current_setting('synchronous_commit') AS s`);
    assert.equal(sync.s, 'on');
  });
});
