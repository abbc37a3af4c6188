import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import type { EventStore, NewEvent, RecordedEvent } from '../../src/eventsourcing/eventStore.js';
import { ProjectionRunner } from '../../src/eventsourcing/projectionRunner.js';
import { openSqliteEventStore } from '../../src/stores/sqlite/sqliteEventStore.js';
import { HistoryIndex } from '../../projections/historyIndex.js';
import { ThreadedHistoryIndex } from '../../projections/historyIndexThread.js';
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

const tokenEvent = (jti: string): NewEvent => ({
  id: uuidv7(),
  type: 'AccessTokenIssued',
  data: { jti, clientId: 'svc', sub: 'svc', scope: 's', aud: ['api'], iat: 1, exp: 2, grantId: null },
  metadata,
});

async function issue(store: EventStore, n: number): Promise<bigint> {
  let position = 0n;
  for (let i = 0; i < n; i++) {
    const jti = uuidv7();
    position = (await store.append(`token-${jti}`, [tokenEvent(jti)], 'no_stream')).position;
  }
  return position;
}

/** Every kind of event the index reads, and one it does not, as recorded events from position 1. */
function everyKind(): RecordedEvent[] {
  const grant = uuidv7();
  const [a, r, x] = [uuidv7(), uuidv7(), uuidv7()];
  const at = Date.UTC(2026, 11, 3, 12);
  const events: Array<[string, string, object]> = [
    ['AuthorizationCodeIssued', `grant-${grant}`, { grantId: grant, clientId: 'web', sub: 'alice', scope: 'openid' }],
    [
      'AccessTokenIssued',
      `grant-${grant}`,
      { jti: a, clientId: 'web', sub: 'alice', scope: 'openid', aud: ['api'], iat: 1, exp: 9e9, grantId: grant },
    ],
    [
      'RefreshTokenIssued',
      `grant-${grant}`,
      { jti: r, clientId: 'web', sub: 'alice', scope: 'openid', iat: 1, exp: 9e9, grantId: grant },
    ],
    [
      'AccessTokenIssued',
      `token-${x}`,
      {
        jti: x,
        clientId: 'svc',
        sub: 'svc',
        scope: 's',
        aud: ['api'],
        iat: 1,
        exp: 9e9,
        grantId: null,
        grantType: 'urn:ietf:params:oauth:grant-type:token-exchange',
        derivedFrom: { jti: a, grantId: grant },
        act: { sub: 'agent' },
        jkt: 'k'.repeat(43),
      },
    ],
    ['SomethingElse', 'other-1', { clientId: 'ignored' }],
    ['RefreshTokenRotated', `grant-${grant}`, { jti: r }],
    ['LoginFailed', 'login-1', { clientId: 'web' }],
    ['ClientAuthenticationFailed', 'client-svc', { clientId: 'svc' }],
    ['SessionStarted', 'session-s1', { sidHash: 's1', sub: 'alice', authTime: 1, exp: 9e9, amr: ['pwd'] }],
    ['SessionEnded', 'session-s1', { sidHash: 's1', reason: 'logout' }],
    ['GrantRevoked', `grant-${grant}`, { grantId: grant, reason: 'operator' }],
    ['TokenRevoked', `token-${x}`, { jti: x, reason: 'client' }],
  ];
  return events.map(
    ([type, stream, data], i) =>
      ({
        id: uuidv7(),
        type,
        stream,
        revision: i,
        position: BigInt(i + 1),
        recordedAt: new Date(at + i * 1000),
        data,
        metadata: { ...metadata, prevHash: '', hash: '' },
      }) satisfies RecordedEvent,
  );
}

/** The rows and the counts a reader sees. */
function contents(db: Database.Database) {
  return {
    ...new HistoryQueries(db).dump(),
    counts: db.prepare('SELECT * FROM token_counts ORDER BY by, key').all(),
    activity: db.prepare('SELECT * FROM activity ORDER BY client, minute').all(),
  };
}

/** The view's thread, for a test that ends it as a crash would. */
const threadOf = (index: ThreadedHistoryIndex) =>
  (index as unknown as { worker?: { terminate(): Promise<number> } }).worker;

describe('the history index on a thread of its own', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  it('writes what the in-process index writes, and reports its position and last event', async () => {
    const events = everyKind();
    const reference = new HistoryIndex(':memory:');
    reference.apply(events.slice(0, 5));
    reference.apply(events.slice(5));
    const threaded = new ThreadedHistoryIndex(join(dir, 'same.sqlite'));
    try {
      assert.equal(threaded.position(), 0n);
      assert.equal(threaded.lastEvent(), null);
      const first = threaded.apply(events.slice(0, 5));
      const second = threaded.apply(events.slice(5));
      await Promise.all([first, second]);
      const last = events[events.length - 1];
      assert.equal(threaded.position(), last.position);
      assert.deepEqual(threaded.lastEvent(), { id: last.id, stream: last.stream, revision: last.revision });
      assert.deepEqual(contents(threaded.db), contents(reference.db));
      // What it already holds does not cross again.
      await threaded.apply(events);
      assert.deepEqual(contents(threaded.db), contents(reference.db));
    } finally {
      await threaded.close();
      reference.close();
    }
  });

  it('reads its own writes through settle, and a reopened file resumes where the thread stopped', async () => {
    const file = join(dir, 'settle.sqlite');
    const store = await openSqliteEventStore(join(dir, 'settle-ledger.sqlite'));
    const history = new ThreadedHistoryIndex(file);
    const runner = new ProjectionRunner(store, [issued], { durable: [history] });
    try {
      await runner.start();
      for (let round = 0; round < 5; round++) {
        const position = await issue(store, 7);
        await runner.waitFor(position);
        await runner.settleDurable();
        assert.equal(history.position(), position, 'the position the thread reported');
        assert.equal(runner.durablePosition, position);
        assert.deepEqual(
          new HistoryQueries(history.db).dump().tokens.map((t) => t.jti),
          runner.view(issued).jtis,
        );
      }
    } finally {
      await runner.close();
    }
    const reopened = new ThreadedHistoryIndex(file);
    try {
      assert.equal(reopened.position(), await store.headPosition());
      assert.equal(new HistoryQueries(reopened.db).dump().tokens.length, 35);
    } finally {
      await reopened.close();
      await store.close();
    }
  });

  it('loses nothing on close: batches still on their way are written before the thread ends', async () => {
    const file = join(dir, 'close.sqlite');
    const store = await openSqliteEventStore(join(dir, 'close-ledger.sqlite'));
    const runner = new ProjectionRunner(store, [issued], { durable: [new ThreadedHistoryIndex(file)] });
    await runner.start();
    const head = await issue(store, 40);
    await runner.waitFor(head);
    // Not settled: the last events are still queued, or on their way to the thread.
    await runner.close();
    const reopened = new HistoryIndex(file);
    try {
      assert.equal(reopened.position(), head);
      assert.equal(new HistoryQueries(reopened.db).dump().tokens.length, 40);
    } finally {
      reopened.close();
      await store.close();
    }
  });

  it('a batch that cannot be written: the thread refuses what follows, and the ledger fills the gap', async () => {
    const file = join(dir, 'failing.sqlite');
    const store = await openSqliteEventStore(join(dir, 'failing-ledger.sqlite'));
    const logs: string[] = [];
    const log = { info: (_: object, msg: string) => logs.push(msg), warn: (_: object, msg: string) => logs.push(msg) };
    const history = new ThreadedHistoryIndex(file);
    const runner = new ProjectionRunner(store, [issued], { durable: [history], log });
    // Another connection makes one token's row impossible to write, as a full disk would.
    const saboteur = new Database(file);
    try {
      await runner.start();
      const before = await issue(store, 3);
      await runner.waitFor(before);
      await runner.settleDurable();
      const poisoned = uuidv7();
      saboteur.exec(
        `CREATE TRIGGER full BEFORE INSERT ON tokens WHEN NEW.jti = '${poisoned}' ` +
          `BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`,
      );
      await store.append(`token-${poisoned}`, [tokenEvent(poisoned)], 'no_stream');
      // Batches after the failed one, each written on its own, would be accepted if the thread did not refuse them.
      for (let i = 0; i < 4; i++) {
        const position = await issue(store, 1);
        await runner.waitFor(position);
        runner.settleDurable(1).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      assert.equal(runner.view(issued).jtis.length, 8, 'the in-memory views are not held back');
      await assert.rejects(runner.settleDurable(300), { name: 'WaitTimeoutError' });
      assert.equal(history.position(), before, 'nothing past the failed batch was written');
      assert.ok(logs.includes('view could not be written; catching up from the ledger'));
      saboteur.exec('DROP TRIGGER full');
      await runner.settleDurable(10_000);
      assert.deepEqual(
        new HistoryQueries(history.db).dump().tokens.map((t) => t.jti),
        runner.view(issued).jtis,
      );
      const more = await issue(store, 2);
      await runner.waitFor(more);
      await runner.settleDurable();
      assert.equal(history.position(), more, 'fed by the runner again');
    } finally {
      saboteur.close();
      await runner.close();
      await store.close();
    }
  });

  it('refuses the batches posted after one that failed, until a batch from the ledger', async () => {
    const file = join(dir, 'refuses.sqlite');
    const history = new ThreadedHistoryIndex(file);
    const saboteur = new Database(file);
    try {
      const events = everyKind();
      const jti = (events[1].data as { jti: string }).jti;
      saboteur.exec(
        `CREATE TRIGGER full BEFORE INSERT ON tokens WHEN NEW.jti = '${jti}' ` +
          `BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`,
      );
      const posted = [history.apply(events.slice(0, 2)), history.apply(events.slice(2, 4)), history.apply(events)];
      const outcomes = await Promise.allSettled(posted);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['rejected', 'rejected', 'rejected'],
      );
      assert.match(String((outcomes[0] as PromiseRejectedResult).reason), /disk is full/);
      assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /earlier batch failed/);
      assert.equal(history.position(), 0n);
      saboteur.exec('DROP TRIGGER full');
      await assert.rejects(history.apply(events.slice(0, 4)), /earlier batch failed/);
      await history.apply(events.slice(0, 4), true);
      await history.apply(events.slice(4));
      assert.equal(history.position(), BigInt(events.length));
      assert.equal(new HistoryQueries(history.db).dump().tokens.length, 3);
    } finally {
      saboteur.close();
      await history.close();
    }
  });

  it('a thread that dies is replaced, and the ledger refills what it may have lost', async () => {
    const store = await openSqliteEventStore(join(dir, 'dies-ledger.sqlite'));
    const history = new ThreadedHistoryIndex(join(dir, 'dies.sqlite'));
    const runner = new ProjectionRunner(store, [issued], { durable: [history] });
    try {
      await runner.start();
      await runner.waitFor(await issue(store, 3));
      await threadOf(history)!.terminate();
      const head = await issue(store, 3);
      await runner.waitFor(head);
      await runner.settleDurable(10_000);
      assert.equal(history.position(), head);
      assert.equal(new HistoryQueries(history.db).dump().tokens.length, 6);
    } finally {
      await runner.close();
      await store.close();
    }
  });

  it('reset empties the file before anything posted after it, and the position is 0 at once', async () => {
    const history = new ThreadedHistoryIndex(join(dir, 'reset.sqlite'));
    try {
      const events = everyKind();
      void history.apply(events.slice(0, 4));
      history.reset();
      assert.equal(history.position(), 0n);
      assert.equal(history.lastEvent(), null);
      await history.apply(events.slice(0, 2));
      assert.equal(history.position(), 2n);
      assert.equal(new HistoryQueries(history.db).dump().tokens.length, 1);
    } finally {
      await history.close();
    }
  });

  it('reads never write: the main thread connection is query-only', async () => {
    const history = new ThreadedHistoryIndex(join(dir, 'readonly.sqlite'));
    try {
      assert.throws(() => history.db.exec("DELETE FROM meta WHERE key = 'schema'"), /readonly|query_only/i);
    } finally {
      await history.close();
    }
  });
});
