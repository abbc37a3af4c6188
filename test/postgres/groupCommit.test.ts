/**
 * The append path's cost and its quoting. A group commit is two round trips to PostgreSQL whatever
 * its size (the lock and every read in one; the rows, the head, the notification and COMMIT in the
 * other), and its values travel as SQL literals: text with quotes, backslashes and any Unicode comes
 * back byte for byte with a valid hash, and text PostgreSQL cannot hold (NUL) is refused for that
 * append alone, with nothing written.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { AppendResult, NewEvent } from '../../src/eventsourcing/eventStore.js';
import { hasValidHash } from '../../src/eventsourcing/integrity.js';
import { openPostgresEventStore } from '../../src/stores/postgres/postgresEventStore.js';
import { PostgresWriter, serialise } from '../../src/stores/postgres/writer.js';
import { createTestDatabase, postgresSkip, type TestDatabase } from './database.js';

const ev = (data: unknown = { n: 1 }, type = 'ThingHappened'): NewEvent => ({
  id: randomUUID(),
  type,
  data,
  metadata: { actor: 'system', correlationId: randomUUID(), causationId: null, schemaVersion: 1 },
});

describe('PostgreSQL ledger: group commit', { skip: postgresSkip }, () => {
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase();
    // Creates the schema.
    await (await openPostgresEventStore(db.settings())).close();
  });
  after(async () => {
    await db?.drop();
  });

  it('commits 32 appends, to new and existing streams, in two round trips', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    let queries = 0;
    const counted = new WeakSet<pg.PoolClient>();
    const connect = pool.connect.bind(pool);
    pool.connect = (async () => {
      const client = await connect();
      // Pooled clients come back: count each one's queries once.
      if (counted.has(client)) return client;
      counted.add(client);
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      client.query = ((...args: unknown[]) => {
        queries += 1;
        return query(...args);
      }) as typeof client.query;
      return client;
    }) as typeof pool.connect;
    const commits: number[] = [];
    const writer = new PostgresWriter(pool, 'test', (_head, stats) => commits.push(stats.size));
    const append = (stream: string, expected: 'no_stream' | number) =>
      new Promise<AppendResult>((resolve, reject) =>
        writer.submit({ stream, events: [serialise(ev())], expected, resolve, reject }),
      );
    try {
      await append('existing', 'no_stream');
      queries = 0;
      const results = await Promise.all([
        append('existing', 0),
        ...Array.from({ length: 31 }, (_, i) => append(`new-${i}`, 'no_stream')),
      ]);
      assert.deepEqual(commits, [1, 32]);
      assert.equal(queries, 2);
      assert.equal(results[0].nextRevision, 1);
      assert.deepEqual(
        results.map((r) => r.position),
        Array.from({ length: 32 }, (_, i) => BigInt(i + 2)),
      );
    } finally {
      await writer.close();
      await pool.end();
    }
  });

  it('stores quotes, backslashes and any Unicode exactly, hashes intact, and refuses NUL writing nothing', async () => {
    const store = await openPostgresEventStore(db.settings());
    try {
      const stream = `it's a \\ stream ‘quoted’ 🎉`;
      const tricky = ev({ text: `O'Brien said "\\n" \\ and '' and \\' — ✓ 𝄞 \u2028`, nul: '\u0000' }, `Type'\\`);
      await store.append(stream, [tricky], 'no_stream');
      const [read] = await store.readStream(stream);
      assert.equal(read.stream, stream);
      assert.equal(read.type, tricky.type);
      assert.deepEqual(read.data, tricky.data);
      assert.ok(hasValidHash(read));

      const before = await store.headPosition();
      await assert.rejects(store.append('nul\0stream', [ev()], 'no_stream'), TypeError);
      await assert.rejects(store.append('fine', [ev({}, 'nul\0type')], 'no_stream'), TypeError);
      assert.equal(await store.headPosition(), before);
      assert.deepEqual(await store.readStream('fine'), []);
    } finally {
      await store.close();
    }
  });
});
