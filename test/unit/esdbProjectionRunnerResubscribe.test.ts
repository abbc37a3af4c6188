import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventStore, SubscribeOptions } from '../../src/eventsourcing/eventStore.js';
import { ProjectionRunner } from '../../src/eventsourcing/projectionRunner.js';
import { openSqliteEventStore } from '../../src/stores/sqlite/sqliteEventStore.js';
import { defineProjection } from '../../projections/projection.js';
import { removeDir, tempDir } from '../helpers/server.js';

const counter = defineProjection<{ count: number }>({
  name: 'counter',
  version: 1,
  initialState: () => ({ count: 0 }),
  on: { Counted: (s) => ({ count: s.count + 1 }) },
});

const ev = () => ({
  id: randomUUID(),
  type: 'Counted',
  data: {},
  metadata: { actor: 'system', correlationId: 'c', causationId: null, schemaVersion: 1 },
});

test('the projection runner reports itself stopped when its subscription fails, and follows the ledger again', async () => {
  const dir = tempDir();
  const inner = await openSqliteEventStore(join(dir, 'a.sqlite'));
  const failers: Array<NonNullable<SubscribeOptions['onError']>> = [];
  // Any store: the runner sees only the port's onError.
  const store: EventStore = Object.assign(Object.create(inner) as EventStore, {
    subscribe: (after: bigint, handler: Parameters<EventStore['subscribe']>[1], options: SubscribeOptions = {}) => {
      failers.push(options.onError!);
      return inner.subscribe(after, handler, options);
    },
  });
  const runner = new ProjectionRunner(store, [counter], { resubscribeAfterMs: 20 });
  try {
    await inner.append(`c-${randomUUID()}`, [ev()], 'no_stream');
    await runner.start();
    assert.equal(runner.stopped, false);
    failers[0](new Error('store went away'));
    assert.equal(runner.stopped, true);
    for (let i = 0; i < 200 && failers.length < 2; i++) await sleep(5);
    assert.equal(failers.length, 2, 'resubscribed');
    const { position } = await inner.append(`c-${randomUUID()}`, [ev()], 'no_stream');
    await runner.waitFor(position, 2_000);
    assert.equal(runner.view(counter).count, 2);
    assert.equal(runner.stopped, false);
  } finally {
    await runner.close();
    await inner.close();
    removeDir(dir);
  }
});
