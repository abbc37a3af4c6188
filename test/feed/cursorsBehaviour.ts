/**
 * What every SinkCursors does, run against each implementation: SQLite here (sinkCursors.test.ts), PostgreSQL in
 * test/postgres/sinkCursors.test.ts. `open` gives a fresh place per test; calling its result twice gives two handles
 * on that place (two processes sharing it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { it } from 'node:test';
import type { SinkCursors } from '../../src/feed/cursors.js';
import { ownerName } from '../../src/feed/owner.js';

type Place = { handle(): SinkCursors; done(): Promise<void> };

export function sinkCursorsBehaviour(open: () => Promise<Place>): void {
  async function withPlace(fn: (handle: () => SinkCursors) => Promise<void>): Promise<void> {
    const place = await open();
    const handles: SinkCursors[] = [];
    try {
      await fn(() => {
        const h = place.handle();
        handles.push(h);
        return h;
      });
    } finally {
      handles.forEach((h) => h.close());
      await place.done();
    }
  }

  it('one owner per sink; a live owner keeps it until its lease expires; positions move only for the owner', () =>
    withPlace(async (handle) => {
      const one = handle();
      const two = handle();
      const a = ownerName('a');
      // Another host's owner: only its lease's expiry frees the sink.
      const remote = `elsewhere.example:1:b`;
      // Both handles connected first (a PostgreSQL pool's first query connects), so the short lease is not spent on it.
      await Promise.all([one.all(), two.all()]);
      const soon = Date.now() + 1_000;
      assert.equal(await one.lease('siem', remote, soon), true);
      assert.equal(await two.lease('siem', a, Date.now() + 30_000), false);
      assert.equal(await two.advance('siem', a, 5n, new Date()), false);
      assert.equal((await one.get('siem')).position, 0n);
      await new Promise((r) => setTimeout(r, Math.max(0, soon - Date.now() + 50)));
      assert.equal(await two.lease('siem', a, Date.now() + 30_000), true);
      assert.equal(await one.lease('siem', remote, Date.now() + 30_000), false);
      assert.equal(await two.advance('siem', a, 5n, new Date()), true);
      assert.equal((await one.get('siem')).position, 5n);
    }));

  it('an owner on this host whose process is gone, or an earlier process with this pid, is replaced at once', () =>
    withPlace(async (handle) => {
      const cursors = handle();
      const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
      assert.equal(await cursors.lease('siem', `${hostname()}:${gone}:x`, Date.now() + 30_000), true);
      assert.equal(await cursors.lease('siem', ownerName('me'), Date.now() + 30_000), true);
      assert.equal(await cursors.lease('other', `${hostname()}:${process.pid}:earlier`, Date.now() + 30_000), true);
      assert.equal(await cursors.lease('other', ownerName('me'), Date.now() + 30_000), true);
      // A live process of this host (the parent of this test) keeps its lease.
      assert.equal(await cursors.lease('third', `${hostname()}:${process.ppid}:x`, Date.now() + 30_000), true);
      assert.equal(await cursors.lease('third', ownerName('me'), Date.now() + 30_000), false);
    }));

  it('owners racing for a free sink: exactly one takes it', () =>
    withPlace(async (handle) => {
      const handles = [handle(), handle(), handle(), handle()];
      const taken = await Promise.all(
        handles.map((h, i) => h.lease('siem', ownerName(`racer${i}`), Date.now() + 30_000)),
      );
      assert.equal(taken.filter(Boolean).length, 1);
    }));

  it('failures keep their first time until a delivery succeeds', () =>
    withPlace(async (handle) => {
      const cursors = handle();
      const me = ownerName('me');
      await cursors.lease('siem', me, Date.now() + 30_000);
      const first = await cursors.fail('siem', me, 'HTTP 500', new Date(1_000));
      const second = await cursors.fail('siem', me, 'ECONNREFUSED', new Date(2_000));
      assert.equal(first.failingSince?.getTime(), 1_000);
      assert.deepEqual([second.failingSince?.getTime(), second.lastError], [1_000, 'ECONNREFUSED']);
      await cursors.advance('siem', me, 1n, new Date(3_000));
      const ok = await cursors.get('siem');
      assert.deepEqual([ok.failingSince, ok.lastError, ok.lastDeliveredAt?.getTime()], [undefined, undefined, 3_000]);
    }));

  it('released leases are free at once; a forgotten sink starts again from 0', () =>
    withPlace(async (handle) => {
      const cursors = handle();
      const [me, other] = [ownerName('me'), ownerName('other')];
      assert.equal(await cursors.lease('siem', me, Date.now() + 30_000), true);
      assert.equal(await cursors.advance('siem', me, 7n), true);
      await cursors.release(me);
      assert.equal(await cursors.advance('siem', me, 8n), false);
      assert.equal(await cursors.lease('siem', other, Date.now() + 30_000), true);
      assert.deepEqual(
        (await cursors.all()).map((c) => [c.sinkId, c.position]),
        [['siem', 7n]],
      );
      await cursors.forget('siem');
      assert.equal((await cursors.get('siem')).position, 0n);
    }));
}
