/**
 * The one contract every ledger adapter must honour. Each adapter's test file calls
 * `runEventStoreContract` with a factory; nothing here knows which adapter it runs against.
 * Streams get unique names and positions are taken relative to the head, so the suite also runs
 * against a shared, non-empty EventStoreDB.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  ConcurrencyError,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '../../src/eventsourcing/eventStore.js';
import { hasValidHash } from '../../src/eventsourcing/integrity.js';

export interface StoreFactory {
  open(): Promise<EventStore>;
  /** A second, independent connection to the same ledger (another process's view of it). */
  openAnother(): Promise<EventStore>;
  cleanup?(): Promise<void>;
}

function ev(type: string, data: Record<string, unknown> = {}): NewEvent {
  return {
    id: randomUUID(),
    type,
    data,
    metadata: { actor: 'system', correlationId: randomUUID(), causationId: null, schemaVersion: 1 },
  };
}

const uniq = (category: string) => `${category}-${randomUUID().replaceAll('-', '')}`;

/** Collects what a subscription delivers until `predicate` holds or `ms` pass. */
async function collect(
  store: EventStore,
  after: bigint,
  predicate: (seen: RecordedEvent[]) => boolean,
  ms = 3000,
): Promise<RecordedEvent[]> {
  const seen: RecordedEvent[] = [];
  let sub: { close(): Promise<void> } | undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    sub = store.subscribe(
      after,
      (batch) => {
        seen.push(...batch);
        if (predicate(seen)) {
          clearTimeout(timer);
          resolve();
        }
      },
      { onError: reject },
    );
  });
  await sub!.close();
  return seen;
}

export function runEventStoreContract(name: string, factory: StoreFactory): void {
  describe(`event store contract: ${name}`, () => {
    let store: EventStore;
    before(async () => {
      store = await factory.open();
    });
    after(async () => {
      await store.close();
      await factory.cleanup?.();
    });

    it('appends to a new stream and reads it back in revision order with sealed metadata', async () => {
      const stream = uniq('test');
      const events = [ev('ThingHappened', { n: 1 }), ev('ThingHappened', { n: 2 }), ev('OtherThing', { s: 'é' })];
      const result = await store.append(stream, events, 'no_stream');
      assert.equal(result.nextRevision, 2);
      const read = await store.readStream(stream);
      assert.deepEqual(
        read.map((e) => [e.id, e.type, e.revision, e.data]),
        events.map((e, i) => [e.id, e.type, i, e.data]),
      );
      assert.equal(read[2].position, result.position);
      assert.ok(read[0].position < read[1].position && read[1].position < read[2].position);
      assert.ok(read[0].recordedAt instanceof Date);
      assert.equal(read[0].metadata.prevHash, '');
      assert.equal(read[1].metadata.prevHash, read[0].metadata.hash);
      for (const e of read) assert.ok(hasValidHash(e), `hash of revision ${e.revision} verifies`);
      assert.deepEqual(await store.readStream(stream, 2), [read[2]]);
      assert.deepEqual(await store.readStream(uniq('none')), []);
    });

    it('refuses a conflicting expected revision with ConcurrencyError and writes nothing', async () => {
      const stream = uniq('test');
      await store.append(stream, [ev('A')], 'no_stream');
      const head = await store.headPosition();
      await assert.rejects(store.append(stream, [ev('B')], 'no_stream'), ConcurrencyError);
      await assert.rejects(store.append(stream, [ev('B')], 5), ConcurrencyError);
      await assert.rejects(store.append(uniq('test'), [ev('B')], 'stream_exists'), ConcurrencyError);
      await assert.rejects(store.append(uniq('test'), [ev('B')], 0), ConcurrencyError);
      assert.equal(await store.headPosition(), head);
      assert.equal((await store.readStream(stream)).length, 1);
      const ok = await store.append(stream, [ev('B')], 0);
      assert.equal(ok.nextRevision, 1);
      await store.append(stream, [ev('C')], 'stream_exists');
      await store.append(stream, [ev('D')], 'any');
      assert.equal((await store.readStream(stream)).length, 4);
    });

    it('lets exactly one of two racing writers win the same expected revision', async () => {
      const stream = uniq('test');
      await store.append(stream, [ev('A')], 'no_stream');
      const results = await Promise.allSettled([
        store.append(stream, [ev('B')], 0),
        store.append(stream, [ev('C')], 0),
      ]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.ok(rejected.reason instanceof ConcurrencyError);
      assert.equal((await store.readStream(stream)).length, 2);
    });

    it('treats a re-append of the same event ids as idempotent', async () => {
      const stream = uniq('test');
      const events = [ev('A'), ev('B')];
      const first = await store.append(stream, events, 'no_stream');
      const head = await store.headPosition();
      const again = await store.append(stream, events, 'no_stream');
      assert.deepEqual(again, first);
      const againAny = await store.append(stream, events, 'any');
      assert.deepEqual(againAny, first);
      assert.equal(await store.headPosition(), head);
      assert.equal((await store.readStream(stream)).length, 2);
    });

    it('reads the whole ledger in one total order, paged, after a position', async () => {
      const start = await store.headPosition();
      const a = uniq('test');
      const b = uniq('test');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const e1 = ev('A', { i });
        const e2 = ev('B', { i });
        ids.push(e1.id, e2.id);
        await store.append(a, [e1], i === 0 ? 'no_stream' : i - 1);
        await store.append(b, [e2], i === 0 ? 'no_stream' : i - 1);
      }
      const all: RecordedEvent[] = [];
      let after = start;
      for (;;) {
        const page = await store.readAll(after, 3);
        if (page.length === 0) break;
        assert.ok(page.length <= 3);
        all.push(...page);
        after = page[page.length - 1].position;
      }
      const ours = all.filter((e) => e.stream === a || e.stream === b);
      assert.deepEqual(
        ours.map((e) => e.id),
        ids,
      );
      for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].position < all[i].position);
      assert.equal(await store.headPosition(), all[all.length - 1].position);
    });

    it('delivers catch-up then live events in order, each once', async () => {
      const start = await store.headPosition();
      const stream = uniq('test');
      const before = [ev('A', { n: 0 }), ev('A', { n: 1 })];
      await store.append(stream, before, 'no_stream');
      const live = [ev('A', { n: 2 }), ev('A', { n: 3 })];
      const seenPromise = collect(store, start, (seen) => seen.filter((e) => e.stream === stream).length >= 4);
      await new Promise((r) => setTimeout(r, 100));
      await store.append(stream, [live[0]], 1);
      await store.append(stream, [live[1]], 2);
      const seen = (await seenPromise).filter((e) => e.stream === stream);
      assert.deepEqual(
        seen.map((e) => e.data),
        [{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }],
      );
    });

    it('delivers live events exactly as reading the ledger returns them (ids, positions, metadata, hashes)', async () => {
      const start = await store.headPosition();
      const streams = Array.from({ length: 8 }, () => uniq('test'));
      // Two appends race for streams[0]: either may win (two events or one), so the count is known
      // only once they settled; until then, collect until the last append (D) has been delivered.
      const last = ev('D', { after: true });
      const seenPromise = collect(store, start, (s) => s.some((e) => e.id === last.id));
      await new Promise((r) => setTimeout(r, 50));
      const first = streams.map((s, i) => [ev('A', { i, nested: { k: [1, 'two'] } }), ev('B', { i })]);
      // Concurrent appends (one group commit where the store has one), a conflict and a repeat among them.
      const results = await Promise.allSettled([
        ...streams.map((s, i) => store.append(s, first[i], 'no_stream')),
        store.append(streams[0], [ev('C')], 'no_stream'),
      ]);
      assert.equal(results.filter((r) => r.status === 'rejected').length, 1);
      const pairWon = results[0].status === 'fulfilled';
      await store.append(streams[1], first[1], 'no_stream');
      await store.append(streams[2], [last], 1);
      const live = (await seenPromise).filter((e) => streams.includes(e.stream));
      const read = (await store.readAll(start, 1000)).filter((e) => streams.includes(e.stream));
      assert.equal(live.length, pairWon ? 17 : 16);
      assert.deepEqual(live, read);
    });

    it('resumes after a closed subscription without duplicates or gaps', async () => {
      const start = await store.headPosition();
      const stream = uniq('test');
      await store.append(stream, [ev('A', { n: 0 }), ev('A', { n: 1 })], 'no_stream');
      const first = (await collect(store, start, (s) => s.filter((e) => e.stream === stream).length >= 2)).filter(
        (e) => e.stream === stream,
      );
      const resumeFrom = first[first.length - 1].position;
      await store.append(stream, [ev('A', { n: 2 })], 1);
      const second = (await collect(store, resumeFrom, (s) => s.some((e) => e.stream === stream))).filter(
        (e) => e.stream === stream,
      );
      assert.deepEqual(
        [...first, ...second].map((e) => e.data),
        [{ n: 0 }, { n: 1 }, { n: 2 }],
      );
    });

    it('makes appends through one connection visible to another within a second', async () => {
      const other = await factory.openAnother();
      try {
        const start = await other.headPosition();
        const stream = uniq('test');
        const seenPromise = collect(other, start, (s) => s.some((e) => e.stream === stream), 1000);
        await new Promise((r) => setTimeout(r, 50));
        await store.append(stream, [ev('A', { from: 'first' })], 'no_stream');
        const seen = (await seenPromise).filter((e) => e.stream === stream);
        assert.equal(seen.length, 1, 'the other connection saw the event within 1 s');
        await assert.rejects(other.append(stream, [ev('B')], 'no_stream'), ConcurrencyError);
      } finally {
        await other.close();
      }
    });
  });
}
