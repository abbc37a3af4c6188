/**
 * A hash table packed in one Int32Array: open addressing with linear probing. It stores entries,
 * positive integers (a slot or record index + 1); 0 marks an empty place. The keys live with the
 * caller, who says where an entry's probe starts (`home`) and whether an entry is the one sought, so
 * the table costs 4 bytes a place, holds no objects, and snapshots as a memcpy.
 *
 * The length is a power of two and the caller keeps the table at most half full (`overHalfFull`,
 * then `grown`), so a probe ends at an empty place within a few steps. Deletion shifts entries back
 * instead of leaving tombstones, so probes never lengthen with churn.
 *
 * Every function takes a plain function and a context instead of a closure: lookups run on every
 * introspection request and must allocate nothing.
 */

/** Where the probe for `entry` starts, given the table's mask (length - 1). */
export type HomeOf<C> = (ctx: C, entry: number, mask: number) => number;

/** An empty table of `size` places, a power of two. */
export function emptyTable(size: number): Int32Array {
  if (size < 2 || (size & (size - 1)) !== 0) throw new RangeError(`a table size must be a power of two, not ${size}`);
  return new Int32Array(size);
}

/** Whether `count` entries are more than the table may hold before it grows. */
export const overHalfFull = (table: Int32Array, count: number): boolean => count * 2 > table.length;

/** Puts `entry` at the first empty place from `home` on. The caller keeps the table at most half full. */
export function insertEntry(table: Int32Array, entry: number, home: number): void {
  const mask = table.length - 1;
  let i = home & mask;
  while (table[i] !== 0) i = (i + 1) & mask;
  table[i] = entry;
}

/** The first entry from `home` on that `matches`, or 0 when the probe reaches an empty place first. */
export function findEntry<C>(
  table: Int32Array,
  home: number,
  matches: (ctx: C, entry: number) => boolean,
  ctx: C,
): number {
  const mask = table.length - 1;
  for (let i = home & mask; table[i] !== 0; i = (i + 1) & mask) {
    if (matches(ctx, table[i])) return table[i];
  }
  return 0;
}

/**
 * Removes `entry` (absent: nothing happens) by backward-shift deletion: each entry after it in the
 * run moves back into the hole unless its own home lies cyclically between the hole and it.
 */
export function deleteEntry<C>(table: Int32Array, entry: number, homeOf: HomeOf<C>, ctx: C): boolean {
  const mask = table.length - 1;
  let i = homeOf(ctx, entry, mask) & mask;
  while (table[i] !== entry) {
    if (table[i] === 0) return false;
    i = (i + 1) & mask;
  }
  for (let j = (i + 1) & mask; table[j] !== 0; j = (j + 1) & mask) {
    const home = homeOf(ctx, table[j], mask) & mask;
    const stays = i <= j ? home > i && home <= j : home > i || home <= j;
    if (!stays) {
      table[i] = table[j]!;
      i = j;
    }
  }
  table[i] = 0;
  return true;
}

/** A table twice the size holding the same entries, each at its home for the new mask. */
export function grown<C>(table: Int32Array, homeOf: HomeOf<C>, ctx: C): Int32Array {
  const next = emptyTable(table.length * 2);
  const mask = next.length - 1;
  for (const entry of table) if (entry !== 0) insertEntry(next, entry, homeOf(ctx, entry, mask));
  return next;
}
