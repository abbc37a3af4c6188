import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DeadlineExceededError, MaxAppendSizeExceededError, UnavailableError } from '@kurrent/kurrentdb-client';
import {
  ConcurrencyError,
  StoreCorruptError,
  StoreUnavailableError,
  type NewEvent,
} from '../../src/eventsourcing/eventStore.js';
import { esdbEventStoreOver, openEsdbEventStore } from '../../src/stores/esdb/esdbEventStore.js';
import { FakeEsdb, grpcError } from '../contract/esdbFakeClient.js';

const ev = (): NewEvent => ({
  id: randomUUID(),
  type: 'test.happened',
  data: { n: 1 },
  metadata: { actor: 'system', correlationId: randomUUID(), causationId: null, schemaVersion: 1 },
});
const other = () => ({ id: randomUUID(), type: 'test.other', data: {}, metadata: { hash: 'theirs', prevHash: '' } });
const ids = (fake: FakeEsdb, stream: string) => fake.streams.get(stream)?.events.map((e) => e.id) ?? [];

function storeOver(fake: FakeEsdb, appendBudgetMs = 2_000) {
  return esdbEventStoreOver(fake.client, 'fake:2113', { appendBudgetMs });
}

test('a refused append reported as {success: false} is a conflict, never the other writer’s tail as ours', async () => {
  const fake = new FakeEsdb();
  fake.throwOnAppendFailure = false;
  const store = storeOver(fake);
  await store.append('s-1', [ev()], 'no_stream');
  // Another writer slips in between the adapter's read of the tail and its append.
  fake.fault = (stream, call) => {
    if (call === 1) fake.write(stream, [other()]);
    return undefined;
  };
  const mine = ev();
  await assert.rejects(store.append('s-1', [mine], 0), (err: unknown) => {
    assert.ok(err instanceof ConcurrencyError, String(err));
    assert.equal(err.actual, 1);
    return true;
  });
  assert.ok(!ids(fake, 's-1').includes(mine.id.toLowerCase()), 'nothing of ours was written');
});

test('a connection string with throwOnAppendFailure=false is refused at start, in one line', async () => {
  await assert.rejects(
    openEsdbEventStore('esdb://admin:pw@127.0.0.1:1?tls=false&throwOnAppendFailure=false'),
    (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.match(
        err.message,
        /^invalid EventStoreDB connection string for 127\.0\.0\.1:1: throwOnAppendFailure=false is not supported/,
      );
      assert.doesNotMatch(err.message, /\n|pw/);
      return true;
    },
  );
});

test('an append the server numbers differently (a soft-deleted stream) is refused as corruption', async () => {
  const fake = new FakeEsdb();
  const store = storeOver(fake);
  await store.append('s-2', [ev(), ev()], 'no_stream');
  fake.softDelete('s-2');
  await assert.rejects(store.append('s-2', [ev()], 'any'), (err: unknown) => {
    assert.ok(err instanceof StoreCorruptError, String(err));
    assert.match(err.message, /s-2 events 0\.\.0 at revision 2/);
    return true;
  });
});

test('an append whose reply was lost is retried with the same ids and recognised, written once', async () => {
  const fake = new FakeEsdb();
  const store = storeOver(fake);
  const lost = new DeadlineExceededError(undefined, 'Deadline exceeded');
  fake.fault = (_s, call) => (call === 0 ? { after: lost } : undefined);
  const events = [ev(), ev()];
  const result = await store.append('s-3', events, 'any');
  assert.equal(result.nextRevision, 1);
  assert.deepEqual(
    ids(fake, 's-3'),
    events.map((e) => e.id.toLowerCase()),
  );
  assert.equal(fake.appendCalls, 1, 'the retry found the events instead of appending them again');
});

test('an append that failed before reaching the server is retried and written once', async () => {
  const fake = new FakeEsdb();
  const store = storeOver(fake);
  fake.fault = (_s, call) => (call < 2 ? { before: new UnavailableError(undefined, 'connection reset') } : undefined);
  const [event] = [ev()];
  const result = await store.append('s-4', [event], 'no_stream');
  assert.equal(result.nextRevision, 0);
  assert.deepEqual(ids(fake, 's-4'), [event.id.toLowerCase()]);
});

test('an append still unanswered when the time is up says its outcome is unknown', async () => {
  const fake = new FakeEsdb();
  const store = storeOver(fake, 150);
  fake.fault = () => ({ before: new UnavailableError(undefined, 'no connection') });
  await assert.rejects(store.append('s-5', [ev()], 'any'), (err: unknown) => {
    assert.ok(err instanceof StoreUnavailableError, String(err));
    assert.match(err.message, /whether the append to s-5 was written is unknown \(retry it with the same event ids\)$/);
    return true;
  });
});

test('a permanent refusal by the server is not retried and not reported as unavailable', async () => {
  for (const refusal of [
    grpcError(3, 'Invalid read position'),
    grpcError(8, 'Received message larger than max (4194400 vs. 4194304)'),
    MaxAppendSizeExceededError.fromMaxAppendSize(1_048_576),
  ]) {
    const fake = new FakeEsdb();
    const store = storeOver(fake);
    fake.fault = () => ({ before: refusal });
    await assert.rejects(store.append('s-6', [ev()], 'any'), (err: unknown) => {
      assert.ok(err instanceof Error && !(err instanceof StoreUnavailableError), `not retryable: ${String(err)}`);
      assert.match(err.message, /^EventStoreDB at fake:2113 refused the request: /);
      return true;
    });
    assert.equal(fake.appendCalls, 1, `${refusal.message}: one attempt`);
    assert.deepEqual(ids(fake, 's-6'), []);
  }
});

test('a repeat of an append far behind the tail is recognised from its expected revision', async () => {
  const fake = new FakeEsdb();
  const store = storeOver(fake);
  const first = [ev(), ev()];
  await store.append('s-7', first, 'no_stream');
  for (let i = 0; i < 40; i++) await store.append('s-7', [ev()], 'any');
  const again = await store.append('s-7', first, 'no_stream');
  assert.equal(again.nextRevision, 1);
  const middle = (await store.readStream('s-7', 10))[0];
  const repeat = await store.append('s-7', [{ ...ev(), id: middle.id }], 9);
  assert.equal(repeat.nextRevision, 10);
  assert.equal(ids(fake, 's-7').length, 42, 'nothing written twice');
});

test("'any' appends keep going past many lost races on a hot stream, within the time budget", async () => {
  const fake = new FakeEsdb();
  // Ten lost races back off up to 3 s in all (random, capped at 500 ms each): a budget well above that.
  const store = storeOver(fake, 10_000);
  fake.fault = (stream, call) => {
    if (call < 10) fake.write(stream, [other()]);
    return undefined;
  };
  const mine = ev();
  const result = await store.append('s-8', [mine], 'any');
  assert.equal(result.nextRevision, 10);
  assert.equal(ids(fake, 's-8')[10], mine.id.toLowerCase());

  const lossy = new FakeEsdb();
  const bounded = storeOver(lossy, 100);
  lossy.fault = (stream) => {
    lossy.write(stream, [other()]);
    return undefined;
  };
  const started = Date.now();
  await assert.rejects(bounded.append('s-9', [ev()], 'stream_exists'), ConcurrencyError);
  assert.ok(Date.now() - started < 2_000);
});

test('an empty append is refused and writes nothing, as on the embedded store', async () => {
  const fake = new FakeEsdb();
  const store = storeOver(fake);
  await assert.rejects(
    store.append('s-10', [], 'any'),
    (err: unknown) => err instanceof TypeError && /at least one event/.test(err.message),
  );
  assert.equal(fake.appendCalls, 0);
  assert.equal(fake.streams.size, 0);
});

test('every read and append goes to the leader', async () => {
  const fake = new FakeEsdb();
  const store = storeOver(fake);
  await store.append('s-11', [ev()], 'no_stream');
  await store.readStream('s-11');
  await store.readAll(0n, 10);
  await store.headPosition();
  const sub = store.subscribe(0n, () => undefined);
  await sub.close();
  assert.ok(fake.readOptions.length >= 5);
  for (const options of fake.readOptions)
    assert.equal(
      options.requiresLeader,
      true,
      JSON.stringify(options, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
    );
});
