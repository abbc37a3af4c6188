import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import type { EventStore, NewEvent, RecordedEvent } from '../../src/eventsourcing/eventStore.js';
import type { DurableView } from '../../src/eventsourcing/durableView.js';
import { ProjectionRunner } from '../../src/eventsourcing/projectionRunner.js';
import { openSqliteEventStore } from '../../src/stores/sqlite/sqliteEventStore.js';
import { HistoryIndex } from '../../projections/historyIndex.js';
import { HistoryQueries } from '../../projections/historyQueries.js';
import { defineProjection } from '../../projections/projection.js';
import { removeDir, tempDir } from '../helpers/server.js';

const issued = defineProjection<{ jtis: string[] }>({
  name: 'issued',
  version: 1,
  initialState: () => ({ jtis: [] }),
  on: { AccessTokenIssued: (s, e) => ({ jtis: [...s.jtis, (e.data as { jti: string }).jti] }) },
});

const metadata = { actor: 'system', correlationId: 'c', causationId: null, schemaVersion: 1 };

async function issue(store: EventStore, n: number): Promise<bigint> {
  let position = 0n;
  for (let i = 0; i < n; i++) {
    const jti = uuidv7();
    const event: NewEvent = {
      id: uuidv7(),
      type: 'AccessTokenIssued',
      data: { jti, clientId: 'svc', sub: 'svc', scope: 's', aud: [], iat: 1, exp: 2, grantId: null },
      metadata,
    };
    position = (await store.append(`token-${jti}`, [event], 'no_stream')).position;
  }
  return position;
}

/** Events the history index does not read (the ledger's other traffic). */
async function other(store: EventStore, n: number): Promise<bigint> {
  let position = 0n;
  for (let i = 0; i < n; i++) {
    position = (
      await store.append(
        `other-${uuidv7()}`,
        [{ id: uuidv7(), type: 'SomethingElse', data: {}, metadata }],
        'no_stream',
      )
    ).position;
  }
  return position;
}

/** The real index on a disk that fails while `full` is set, as a full disk would. */
class FailingDisk implements DurableView {
  readonly name = 'history';
  full = false;
  attempts = 0;
  constructor(readonly index: HistoryIndex) {}
  position = () => this.index.position();
  lastEvent = () => this.index.lastEvent();
  apply(batch: RecordedEvent[]): void {
    this.attempts++;
    if (this.full) throw new Error('SQLITE_FULL: database or disk is full');
    this.index.apply(batch);
  }
  reset = () => this.index.reset();
  close = () => this.index.close();
}

describe('durable views (the history index) under the projection runner', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  it('is written off the hot path, settled on demand, and resumes from its own position without the checkpoint', async () => {
    const ledger = join(dir, 'a.sqlite');
    const file = join(dir, 'a-history.sqlite');
    const checkpointDir = join(dir, 'a-views');
    const store = await openSqliteEventStore(ledger);
    let history = new HistoryIndex(file);
    let runner = new ProjectionRunner(store, [issued], { checkpointDir, writeCheckpoints: true, durable: [history] });
    try {
      await issue(store, 5);
      await runner.start();
      const position = await issue(store, 3);
      await runner.waitFor(position);
      assert.equal(runner.view(issued).jtis.length, 8);
      await runner.settleDurable();
      assert.equal(history.position(), position);
      assert.deepEqual(
        new HistoryQueries(history.db).dump().tokens.map((t) => t.jti),
        runner.view(issued).jtis,
      );
      // Events it does not read still move its stored position: a restart does not read them again.
      const head = await other(store, 5);
      await runner.waitFor(head);
      await runner.close();
      const reopened = new HistoryIndex(file);
      assert.equal(reopened.position(), head);
      reopened.close();

      // The history file is lost: the in-memory views come back from the checkpoint, the history from
      // the first event, and both end where the ledger is.
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
      history = new HistoryIndex(file);
      runner = new ProjectionRunner(store, [issued], { checkpointDir, durable: [history] });
      await runner.start();
      await runner.settleDurable();
      assert.equal(history.position(), head);
      assert.equal(new HistoryQueries(history.db).dump().tokens.length, 8);
    } finally {
      await runner.close();
      await store.close();
    }
  });

  it('keeps the in-memory views going when the history cannot be written, then catches it up from the ledger', async () => {
    const store = await openSqliteEventStore(join(dir, 'b.sqlite'));
    const disk = new FailingDisk(new HistoryIndex(join(dir, 'b-history.sqlite')));
    const runner = new ProjectionRunner(store, [issued], { durable: [disk] });
    try {
      await runner.start();
      disk.full = true;
      const position = await issue(store, 4);
      await runner.waitFor(position);
      assert.equal(runner.view(issued).jtis.length, 4, 'introspection-side views are not held back');
      await assert.rejects(runner.settleDurable(300), { name: 'WaitTimeoutError' });
      const failed = disk.attempts;
      disk.full = false;
      await runner.settleDurable(10_000);
      assert.ok(disk.attempts > failed, 'retried');
      assert.deepEqual(
        new HistoryQueries(disk.index.db).dump().tokens.map((t) => t.jti),
        runner.view(issued).jtis,
      );
      const more = await issue(store, 2);
      await runner.waitFor(more);
      await runner.settleDurable();
      assert.equal(disk.position(), more);
      assert.equal(new HistoryQueries(disk.index.db).dump().tokens.length, 6);
    } finally {
      await runner.close();
      await store.close();
    }
  });

  it('does not hold readiness back: a history behind the ledger is fed from it once the in-memory views are caught up', async () => {
    const store = await openSqliteEventStore(join(dir, 'c.sqlite'));
    const logs: string[] = [];
    const log = {
      info: (o: object, msg: string) => logs.push(`${msg} ${JSON.stringify(o)}`),
      warn: (o: object, msg: string) => logs.push(`WARN ${msg} ${JSON.stringify(o)}`),
    };
    await issue(store, 3);
    const bulk = Array.from({ length: 3000 }, (): NewEvent => ({
      id: uuidv7(),
      type: 'SomethingElse',
      data: {},
      metadata,
    }));
    await store.append('other-bulk', bulk, 'no_stream');
    const head = await issue(store, 2);
    const history = new HistoryIndex(join(dir, 'c-history.sqlite'));
    const runner = new ProjectionRunner(store, [issued], { durable: [history], log });
    try {
      await runner.start();
      assert.equal(runner.position, head, 'ready: the in-memory views are at the head');
      assert.ok(history.position() < head, `the history is still being fed (at ${history.position()} of ${head})`);
      await runner.settleDurable();
      assert.equal(history.position(), head);
      assert.equal(new HistoryQueries(history.db).dump().tokens.length, 5);
      assert.match(logs.join('\n'), /view behind the ledger: caught up once the server is ready/);
      const more = await issue(store, 1);
      await runner.waitFor(more);
      await runner.settleDurable();
      assert.equal(new HistoryQueries(history.db).dump().tokens.length, 6, 'fed by the runner again once caught up');
    } finally {
      await runner.close();
      await store.close();
    }
  });
});
