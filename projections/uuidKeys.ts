/**
 * Keys numbered in the order they were added (0, 1, 2, …), found again without a per-key Map entry:
 * a canonical UUID is kept as its 16 bytes and found through an open-addressing table (linear
 * probing, at most half full, entries are index + 1, 0 is empty) keyed by a hash of those bytes and
 * confirmed against all 16, so a hash collision costs a probe, never a wrong answer. Keys without
 * the canonical shape (rare: a jti or grant id from elsewhere) are kept as strings aside. Plain
 * typed arrays and Maps: a checkpoint (v8.serialize) restores it as a few buffers.
 */
export interface UuidKeys {
  count: number;
  /** 16 bytes per key; zero for a key kept in `odd` */
  bytes: Uint8Array;
  table: Int32Array;
  odd: Map<string, number>;
  oddOf: Map<number, string>;
}

const UUID_BYTES = 16;
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const scratch = Buffer.alloc(UUID_BYTES);

export const uuidKeys = (capacity: number): UuidKeys => ({
  count: 0,
  bytes: new Uint8Array(capacity * UUID_BYTES),
  table: new Int32Array(capacity * 2),
  odd: new Map(),
  oddOf: new Map(),
});

/** FNV-1a over the 16 bytes (a UUIDv7 starts with a timestamp, so no prefix alone will do). */
function home(bytes: Uint8Array, offset: number, mask: number): number {
  let h = 0x811c9dc5;
  for (let b = 0; b < UUID_BYTES; b++) h = Math.imul(h ^ bytes[offset + b]!, 0x01000193);
  return (h ^ (h >>> 16)) & mask;
}

function insert(k: UuidKeys, index: number): void {
  const t = k.table;
  const mask = t.length - 1;
  let i = home(k.bytes, index * UUID_BYTES, mask);
  while (t[i] !== 0) i = (i + 1) & mask;
  t[i] = index + 1;
}

/** The index of this key, or -1. */
export function findKey(k: UuidKeys, key: string): number {
  if (!CANONICAL_UUID.test(key)) return k.odd.get(key) ?? -1;
  scratch.write(key.replaceAll('-', ''), 'hex');
  const t = k.table;
  const mask = t.length - 1;
  const bytes = k.bytes;
  for (let i = home(scratch, 0, mask); t[i] !== 0; i = (i + 1) & mask) {
    const o = (t[i]! - 1) * UUID_BYTES;
    let b = 0;
    while (b < UUID_BYTES && bytes[o + b] === scratch[b]) b++;
    if (b === UUID_BYTES) return t[i]! - 1;
  }
  return -1;
}

/** Adds a key not yet present; answers its index (the count before). */
export function addKey(k: UuidKeys, key: string): number {
  const index = k.count++;
  if (k.count * UUID_BYTES > k.bytes.length) {
    const bytes = new Uint8Array(k.bytes.length * 2 || 64 * UUID_BYTES);
    bytes.set(k.bytes);
    k.bytes = bytes;
  }
  if (!CANONICAL_UUID.test(key)) {
    k.odd.set(key, index);
    k.oddOf.set(index, key);
    return index;
  }
  Buffer.from(k.bytes.buffer, k.bytes.byteOffset + index * UUID_BYTES, UUID_BYTES).write(key.replaceAll('-', ''), 'hex');
  if ((k.count - k.odd.size) * 2 > k.table.length) {
    k.table = new Int32Array(Math.max(k.table.length * 2, 64));
    for (let i = 0; i < k.count; i++) if (!k.oddOf.has(i)) insert(k, i);
  } else {
    insert(k, index);
  }
  return index;
}

/** The key at this index, as it was added. */
export function keyAt(k: UuidKeys, index: number): string {
  if (k.oddOf.size) {
    const odd = k.oddOf.get(index);
    if (odd !== undefined) return odd;
  }
  const hex = Buffer.from(k.bytes.buffer, k.bytes.byteOffset + index * UUID_BYTES, UUID_BYTES).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
