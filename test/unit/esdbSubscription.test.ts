import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { UnavailableError } from '@kurrent/kurrentdb-client';
import type { RecordedEvent } from '../../src/eventsourcing/eventStore.js';
import { esdbEventStoreOver } from '../../src/stores/esdb/esdbEventStore.js';
import { FakeEsdb } from '../contract/esdbFakeClient.js';

const resolved = (commit: bigint) => ({
  event: {
    streamId: `s-${randomUUID()}`,
    id: randomUUID(),
    revision: 0n,
    type: 'test.happened',
    created: new Date(),
    isJson: true,
    data: {},
    metadata: { hash: 'h', prevHash: '' },
    position: { commit, prepare: commit },
  },
});

async function until(predicate: () => boolean, ms = 3_000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > ms) throw new Error('timed out');
    await sleep(10);
  }
}

test('a subscription the server ends, or drops with an outage, resubscribes from where it was and delivers nothing twice', async () => {
  const fake = new FakeEsdb();
  const store = esdbEventStoreOver(fake.client, 'fake:2113');
  const seen: RecordedEvent[] = [];
  const errors: Error[] = [];
  const sub = store.subscribe(0n, (batch) => void seen.push(...batch), { onError: (err) => errors.push(err) });
  try {
    fake.subscriptions[0].emit('data', resolved(2000n));
    fake.subscriptions[0].emit('end');
    await until(() => fake.subscriptions.length === 2);
    assert.deepEqual(fake.subscriptions[1].options.fromPosition, { commit: 2000n, prepare: 2000n });

    fake.subscriptions[1].emit('data', resolved(2000n));
    fake.subscriptions[1].emit('data', resolved(3000n));
    fake.subscriptions[1].emit('error', new UnavailableError(undefined, 'connection lost'));
    await until(() => fake.subscriptions.length === 3);
    fake.subscriptions[2].emit('data', resolved(4000n));
    await until(() => seen.length === 3);
    assert.deepEqual(
      seen.map((e) => e.position),
      [2000n, 3000n, 4000n],
    );
    assert.deepEqual(errors, []);
  } finally {
    await sub.close();
  }
});

test('a subscription keeps resubscribing through an outage of any length, its backoff capped', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const fake = new FakeEsdb();
  const store = esdbEventStoreOver(fake.client, 'fake:2113');
  const errors: Error[] = [];
  const sub = store.subscribe(0n, () => undefined, { onError: (err) => errors.push(err) });
  // Two minutes of a server that refuses every connection.
  for (let second = 0; second < 120; second += 5) {
    fake.subscriptions[fake.subscriptions.length - 1].emit(
      'error',
      new UnavailableError(undefined, 'connection refused'),
    );
    t.mock.timers.tick(5_000);
  }
  assert.deepEqual(errors, []);
  assert.equal(fake.subscriptions.length, 25, 'one new subscription per capped backoff period');
  void sub.close();
});
