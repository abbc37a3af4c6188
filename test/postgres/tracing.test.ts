import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { execute, type WritePorts } from '../../src/application/execute.js';
import type { Decider } from '../../src/domain/decider.js';
import { defineEvent } from '../../src/domain/events/catalogue.js';
import type { EventStore } from '../../src/eventsourcing/eventStore.js';
import { Ledger } from '../../src/eventsourcing/ledger.js';
import { EventCatalogue } from '../../src/eventsourcing/validation.js';
import { openPostgresEventStore } from '../../src/stores/postgres/postgresEventStore.js';
import { installMemoryTracing, type MemoryTracing } from '../helpers/tracing.js';
import { createTestDatabase, postgresSkip, type TestDatabase } from './database.js';

const Counted = defineEvent('Counted', 1, Type.Object({ n: Type.Integer({ minimum: 1 }) }));
type CountedEvent = { type: 'Counted'; data: { n: number } };
const counter: Decider<{ type: 'Count' }, number, CountedEvent> = {
  initialState: () => 0,
  evolve: (_, e) => e.data.n,
  decide: (_, n) => [{ type: 'Counted', data: { n: n + 1 } }],
};

describe('tracing on PostgreSQL: the wait for the group commit', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let store: EventStore;
  let tracing: MemoryTracing;
  before(async () => {
    tracing = await installMemoryTracing();
    db = await createTestDatabase();
    store = await openPostgresEventStore(db.settings());
  });
  after(async () => {
    await store?.close();
    await db?.drop();
    await tracing.shutdown();
  });

  it('is a child of each append, told how many appends were committed together', async () => {
    const ports: WritePorts = {
      ledger: new Ledger(store, new EventCatalogue([Counted])),
      views: { waitFor: async () => {} },
    };
    const ctx = { actor: 'test', correlationId: 'c-1' };
    // Three commands on new streams in one tick (`fresh`: decided without a read): one transaction.
    await Promise.all(
      ['a', 'b', 'c'].map((s) => execute(ports, `counter-${s}`, counter, { type: 'Count' }, ctx, { fresh: true })),
    );
    const spans = tracing.exporter.getFinishedSpans();
    const appends = spans.filter((s) => s.name === 'ledger append');
    assert.equal(appends.length, 3);
    for (const append of appends) {
      const commit = spans.find(
        (s) => s.name === 'postgresql group commit' && s.parentSpanContext?.spanId === append.spanContext().spanId,
      );
      assert.ok(commit, 'the commit wait is a child of its append');
      assert.equal(commit.attributes['db.system.name'], 'postgresql');
      assert.equal(commit.attributes['token_ledger.batch.size'], 3);
      assert.equal(typeof commit.attributes['token_ledger.batch.commit_ms'], 'number');
      const command = spans.find((s) => s.spanContext().spanId === append.parentSpanContext?.spanId);
      assert.equal(command?.name, 'command Count');
    }
  });

  it('a lost race is named on the commit span without failing it, and the command is decided again', async () => {
    const ledger = new Ledger(store, new EventCatalogue([Counted]));
    const ports: WritePorts = { ledger, views: { waitFor: async () => {} } };
    const ctx = { actor: 'test', correlationId: 'c-2' };
    // `fresh`: decided without reading, on a stream that exists: the first append conflicts.
    await ledger.append('counter-race', [{ type: 'Counted', data: { n: 1 } }], 'no_stream', ctx);
    tracing.exporter.reset();
    await execute(ports, 'counter-race', counter, { type: 'Count' }, ctx, { fresh: true });
    const commits = tracing.exporter.getFinishedSpans().filter((s) => s.name === 'postgresql group commit');
    assert.equal(commits.length, 2);
    assert.equal(commits[0].attributes['error.type'], 'conflict');
    assert.equal(commits[0].status.code, 0);
    assert.equal(commits[1].attributes['error.type'], undefined);
    assert.deepEqual(
      (await store.readStream('counter-race')).map((e) => e.data),
      [{ n: 1 }, { n: 2 }],
    );
  });
});
