import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  deleteEntry,
  emptyTable,
  findEntry,
  grown,
  insertEntry,
  overHalfFull,
  type HomeOf,
} from '../../projections/openAddressingTable.js';

/** Keys by entry (entry = index + 1), with homes chosen by the test to force collisions. */
interface Keys {
  homes: number[];
}
const homeOf: HomeOf<Keys> = (k, entry, mask) => k.homes[entry - 1] & mask;
const find = (t: Int32Array, k: Keys, entry: number) =>
  findEntry(t, homeOf(k, entry, t.length - 1), (_: Keys, e: number) => e === entry, k);
const insert = (t: Int32Array, k: Keys, entry: number) => insertEntry(t, entry, homeOf(k, entry, t.length - 1));

describe('open-addressing table', () => {
  it('refuses a size that is not a power of two', () => {
    assert.throws(() => emptyTable(12), RangeError);
    assert.equal(emptyTable(16).length, 16);
  });

  it('inserts and finds entries; an absent one is 0', () => {
    const k = { homes: [3, 9, 14] };
    const t = emptyTable(16);
    for (const e of [1, 2, 3]) insert(t, k, e);
    assert.deepEqual([find(t, k, 1), find(t, k, 2), find(t, k, 3)], [1, 2, 3]);
    k.homes.push(5);
    assert.equal(find(t, k, 4), 0);
  });

  it('places colliding entries one after another, wrapping at the end', () => {
    const k = { homes: [15, 15, 15] };
    const t = emptyTable(16);
    for (const e of [1, 2, 3]) insert(t, k, e);
    assert.deepEqual([t[15], t[0], t[1]], [1, 2, 3]);
    assert.deepEqual([find(t, k, 1), find(t, k, 2), find(t, k, 3)], [1, 2, 3]);
  });

  it('deletes without tombstones: the run closes up and every other entry stays findable', () => {
    // 1, 2, 3 share home 6; 4's home is 7, so it sits after them and must move back into a hole.
    const k = { homes: [6, 6, 6, 7, 10] };
    const t = emptyTable(16);
    for (const e of [1, 2, 3, 4, 5]) insert(t, k, e);
    assert.deepEqual([...t.slice(6, 11)], [1, 2, 3, 4, 5]);
    assert.equal(deleteEntry(t, 1, homeOf, k), true);
    assert.deepEqual([...t.slice(6, 11)], [2, 3, 4, 0, 5], 'shifted back, 5 (at its home) stays');
    assert.equal(deleteEntry(t, 1, homeOf, k), false, 'absent: nothing happens');
    for (const e of [2, 3, 4, 5]) assert.equal(find(t, k, e), e);
    for (const e of [2, 3, 4, 5]) deleteEntry(t, e, homeOf, k);
    assert.deepEqual([...t], new Array<number>(16).fill(0), 'empty again: no tombstones left');
  });

  it('deletes across the wrap-around without moving an entry before its home', () => {
    const k = { homes: [14, 15, 15, 0] };
    const t = emptyTable(16);
    for (const e of [1, 2, 3, 4]) insert(t, k, e);
    assert.deepEqual([t[14], t[15], t[0], t[1]], [1, 2, 3, 4]);
    deleteEntry(t, 2, homeOf, k);
    assert.deepEqual([t[14], t[15], t[0], t[1]], [1, 3, 4, 0]);
    for (const e of [1, 3, 4]) assert.equal(find(t, k, e), e);
  });

  it('grows to twice the size, each entry at its home for the new mask', () => {
    const k = { homes: Array.from({ length: 9 }, (_, i) => i * 7 + 3) };
    let t = emptyTable(16);
    let count = 0;
    for (let e = 1; e <= 9; e++) {
      if (overHalfFull(t, ++count)) t = grown(t, homeOf, k);
      insert(t, k, e);
    }
    assert.equal(t.length, 32);
    assert.ok(!overHalfFull(t, count));
    for (let e = 1; e <= 9; e++) assert.equal(find(t, k, e), e);
    for (let e = 1; e <= 9; e++) assert.equal(t[homeOf(k, e, 31)], e, 'no collisions at these homes: each at its own');
  });

  it('survives churn: random inserts and deletes agree with a Set', () => {
    let seed = 42;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const k = { homes: Array.from({ length: 400 }, () => Math.floor(random() * 2 ** 31)) };
    let t = emptyTable(8);
    const live = new Set<number>();
    for (let step = 0; step < 5000; step++) {
      const e = 1 + Math.floor(random() * 400);
      if (live.has(e)) {
        deleteEntry(t, e, homeOf, k);
        live.delete(e);
      } else {
        if (overHalfFull(t, live.size + 1)) t = grown(t, homeOf, k);
        insert(t, k, e);
        live.add(e);
      }
    }
    for (let e = 1; e <= 400; e++) assert.equal(find(t, k, e), live.has(e) ? e : 0, `entry ${e}`);
    assert.equal([...t].filter((x) => x !== 0).length, live.size);
  });
});
