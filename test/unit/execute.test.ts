import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { execute, type WritePorts } from '../../src/application/execute.js';
import { StateCache } from '../../src/application/stateCache.js';
import type { Decider } from '../../src/domain/decider.js';
import { defineEvent } from '../../src/domain/events/catalogue.js';
import type { EventStore } from '../../src/eventsourcing/eventStore.js';
import { Ledger } from '../../src/eventsourcing/ledger.js';
import { openSqliteEventStore } from '../../src/stores/sqlite/sqliteEventStore.js';
import { EventCatalogue } from '../../src/eventsourcing/validation.js';
import { removeDir, tempDir } from '../helpers/server.js';

const Counted = defineEvent('Counted', 1, Type.Object({ n: Type.Integer({ minimum: 1 }) }));
type CountedEvent = { type: 'Counted'; data: { n: number } };
type Count = { type: 'Count'; upTo: number };

/** Counts up to a limit, one event per step; refuses to count past 3. */
const counter: Decider<Count, number, CountedEvent> = {
  initialState: () => 0,
  evolve: (_, e) => e.data.n,
  decide: (c, n) => {
    if (c.upTo > 3) throw new Error('too far');
    const events: CountedEvent[] = [];
    for (let i = n + 1; i <= c.upTo; i++) events.push({ type: 'Counted', data: { n: i } });
    return events;
  },
};
const ctx = { actor: 'test', correlationId: 'c-1' };

describe('execute: the one write path', () => {
  let dir: string;
  let store: EventStore;
  let waited: bigint[];
  let reads: number;
  let readFrom: (number | undefined)[];
  let ports: WritePorts;
  let stream = 0;
  const next = () => `counter-${++stream}`;
  before(async () => {
    dir = tempDir();
    store = await openSqliteEventStore(join(dir, 'ledger.sqlite'));
    const counting: EventStore = Object.create(store) as EventStore;
    counting.readStream = (s, from) => {
      reads++;
      readFrom.push(from);
      return store.readStream(s, from);
    };
    ports = {
      ledger: new Ledger(counting, new EventCatalogue([Counted])),
      views: { waitFor: (p) => Promise.resolve(void waited.push(p)) },
    };
  });
  after(async () => {
    await store.close();
    removeDir(dir);
  });
  const reset = () => {
    waited = [];
    reads = 0;
    readFrom = [];
  };

  it('decides on the folded stream, appends at the revision read, and waits for the views at its position', async () => {
    reset();
    const s = next();
    await execute(ports, s, counter, { type: 'Count', upTo: 1 }, ctx);
    const { events, position } = await execute(ports, s, counter, { type: 'Count', upTo: 3 }, ctx);
    assert.deepEqual(
      events.map((e) => e.data.n),
      [2, 3],
    );
    assert.deepEqual(waited.at(-1), position);
    const written = await store.readStream(s);
    assert.deepEqual(
      written.map((e) => [e.data, e.metadata.actor, e.metadata.correlationId]),
      [1, 2, 3].map((n) => [{ n }, 'test', 'c-1']),
    );
  });

  it('writes nothing and waits for nothing when the decision is empty', async () => {
    reset();
    const s = next();
    await execute(ports, s, counter, { type: 'Count', upTo: 2 }, ctx);
    reset();
    const { events, position } = await execute(ports, s, counter, { type: 'Count', upTo: 2 }, ctx);
    assert.deepEqual(events, []);
    assert.equal(position, undefined);
    assert.deepEqual(waited, []);
    assert.equal((await store.readStream(s)).length, 2);
  });

  it('writes nothing when the decider refuses', async () => {
    reset();
    const s = next();
    await assert.rejects(execute(ports, s, counter, { type: 'Count', upTo: 4 }, ctx), /too far/);
    assert.deepEqual(await store.readStream(s), []);
    assert.deepEqual(waited, []);
  });

  it('decides again on the fresh state when a concurrent writer appended first', async () => {
    reset();
    const s = next();
    const racing: WritePorts = {
      ...ports,
      ledger: {
        store: ports.ledger.store,
        append: async (stream, events, expected, c) => {
          // Another instance counts to 1 between this command's read and its append.
          if (expected === 'no_stream')
            await ports.ledger.append(stream, [{ type: 'Counted', data: { n: 1 } }], 'no_stream', c);
          return ports.ledger.append(stream, events, expected, c);
        },
      },
    };
    const { events } = await execute(racing, s, counter, { type: 'Count', upTo: 2 }, ctx);
    assert.deepEqual(
      events.map((e) => e.data.n),
      [2],
    );
    assert.deepEqual(
      (await store.readStream(s)).map((e) => e.data),
      [{ n: 1 }, { n: 2 }],
    );
  });

  it('skips the first read of a stream that is new by construction, and reads after a conflict', async () => {
    reset();
    const s = next();
    await execute(ports, s, counter, { type: 'Count', upTo: 1 }, ctx, { fresh: true });
    assert.equal(reads, 0);
    await execute(ports, s, counter, { type: 'Count', upTo: 2 }, ctx, { fresh: true });
    assert.equal(reads, 1);
    assert.deepEqual(
      (await store.readStream(s)).map((e) => e.data),
      [{ n: 1 }, { n: 2 }],
    );
  });

  it('answers without waiting for the views when told so', async () => {
    reset();
    const { position } = await execute(ports, next(), counter, { type: 'Count', upTo: 1 }, ctx, {
      waitForViews: false,
    });
    assert.notEqual(position, undefined);
    assert.deepEqual(waited, []);
  });

  it('reads only the events after the cached revision', async () => {
    reset();
    const s = next();
    const cache = new StateCache();
    for (const upTo of [1, 2, 3]) await execute(ports, s, counter, { type: 'Count', upTo }, ctx, { cache });
    assert.deepEqual(readFrom, [0, 0, 1]);
    assert.deepEqual(
      (await store.readStream(s)).map((e) => e.data),
      [{ n: 1 }, { n: 2 }, { n: 3 }],
    );
  });
});
