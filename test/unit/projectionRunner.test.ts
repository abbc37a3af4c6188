import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventStore, NewEvent } from '../../src/eventsourcing/eventStore.js';
import { ProjectionRunner } from '../../src/eventsourcing/projectionRunner.js';
import { openSqliteEventStore } from '../../src/stores/sqlite/sqliteEventStore.js';
import { defineProjection, handledTypes } from '../../projections/projection.js';
import { removeDir, tempDir } from '../helpers/server.js';

const counter = defineProjection<{ count: number; seen: string[] }>({
  name: 'counter',
  version: 1,
  initialState: () => ({ count: 0, seen: [] }),
  on: {
    Counted: (s, e) => ({ count: s.count + 1, seen: [...s.seen, e.id] }),
  },
});

const ev = (type = 'Counted'): NewEvent => ({
  id: randomUUID(),
  type,
  data: {},
  metadata: { actor: 'system', correlationId: 'c', causationId: null, schemaVersion: 1 },
});

async function appendN(store: EventStore, n: number, type = 'Counted') {
  let position = 0n;
  for (let i = 0; i < n; i++) position = (await store.append(`test-${randomUUID()}`, [ev(type)], 'no_stream')).position;
  return position;
}

describe('projection runner', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  it('derives the handled event types from the reducer map', () => {
    assert.deepEqual(handledTypes(counter), ['Counted']);
  });

  it('catches up, follows live appends, and waitFor resolves once a position is applied', async () => {
    const store = await openSqliteEventStore(join(dir, 'a.sqlite'));
    const runner = new ProjectionRunner(store, [counter]);
    try {
      await appendN(store, 3);
      await appendN(store, 2, 'Ignored');
      await runner.start();
      assert.equal(runner.caughtUp, true);
      assert.equal(runner.view(counter).count, 3);
      const position = await appendN(store, 1);
      await runner.waitFor(position);
      assert.equal(runner.view(counter).count, 4);
      assert.equal(runner.position, position);
    } finally {
      await runner.close();
      await store.close();
    }
  });

  it('skips a duplicate delivery instead of counting it twice', async () => {
    const store = await openSqliteEventStore(join(dir, 'b.sqlite'));
    const runner = new ProjectionRunner(store, [counter]);
    try {
      await appendN(store, 2);
      await runner.start();
      const all = await store.readAll(0n, 10);
      (runner as unknown as { apply(b: unknown[]): void }).apply(all);
      assert.equal(runner.view(counter).count, 2);
    } finally {
      await runner.close();
      await store.close();
    }
  });

  it('resumes from its checkpoint, and rebuilds when the checkpoint is ahead, foreign or unreadable', async () => {
    const checkpointDir = join(dir, 'views');
    const file = join(dir, 'c.sqlite');
    let store = await openSqliteEventStore(file);
    await appendN(store, 5);
    let runner = new ProjectionRunner(store, [counter], { checkpointDir, writeCheckpoints: true });
    await runner.start();
    await runner.close();
    await store.close();

    // Resumed: the reducer ran for no event (seen stays as checkpointed), then follows new ones.
    store = await openSqliteEventStore(file);
    await appendN(store, 1);
    runner = new ProjectionRunner(store, [counter], { checkpointDir });
    await runner.start();
    assert.equal(runner.view(counter).count, 6);
    await runner.close();
    await store.close();

    // A fresh ledger with fewer events: the checkpoint is ahead of it.
    const other = await openSqliteEventStore(join(dir, 'd.sqlite'));
    await appendN(other, 2);
    const logs: string[] = [];
    const log = {
      info: (o: object) => logs.push(JSON.stringify(o)),
      warn: (o: object) => logs.push(JSON.stringify(o)),
    };
    runner = new ProjectionRunner(other, [counter], { checkpointDir, log });
    await runner.start();
    assert.equal(runner.view(counter).count, 2);
    assert.match(logs.join(), /ahead of the ledger/);
    await runner.close();

    // Same length but different events: recognised as another ledger's checkpoint.
    const third = await openSqliteEventStore(join(dir, 'e.sqlite'));
    await appendN(third, 7);
    runner = new ProjectionRunner(third, [counter], { checkpointDir, log });
    await runner.start();
    assert.equal(runner.view(counter).count, 7);
    assert.match(logs.join(), /another ledger/);
    await runner.close();

    writeFileSync(join(checkpointDir, 'views.checkpoint'), 'garbage');
    runner = new ProjectionRunner(third, [counter], { checkpointDir, log });
    await runner.start();
    assert.equal(runner.view(counter).count, 7);
    assert.match(logs.join(), /unreadable/);
    await runner.close();
    await other.close();
    await third.close();
  });
});
