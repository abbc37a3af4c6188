import { createHash } from 'node:crypto';

/**
 * The Merkle tree of RFC 9162 §2.1 (Certificate Transparency v2) over the whole ledger: leaf i is the i-th event in
 * position order, and its input is the 32 bytes of the event's `hash` (which covers id, stream, revision, type, the
 * stored data and metadata, and the stream's previous hash). Rewriting an event and re-chaining its stream changes
 * its `hash`, hence the leaf, hence every root sealed after it.
 *
 * This module builds trees and proofs (Node, synchronous hashing). Checking a proof is src/sdk/ledger-proof.ts,
 * which runs in a browser with WebCrypto only.
 */

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

/** MTH({d}) = SHA-256(0x00 || d). */
export const leafHash = (leaf: Uint8Array): Buffer => createHash('sha256').update(LEAF).update(leaf).digest();

/** SHA-256(0x01 || left || right). */
const nodeHash = (left: Uint8Array, right: Uint8Array): Buffer =>
  createHash('sha256').update(NODE).update(left).update(right).digest();

/** The leaf input of an event: its chain hash (base64url in the metadata) as bytes. */
export const eventLeaf = (hash: string): Buffer => Buffer.from(hash, 'base64url');

/** The largest power of two strictly smaller than n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** A perfect, aligned subtree: leaves [start, start + size), size a power of two. */
interface SubtreeNode {
  start: number;
  size: number;
  hash: Buffer;
}

/**
 * A compact range (the Merkle "frontier" when it starts at 0): the fewest aligned perfect subtrees covering
 * [start, end), O(log n) hashes. Appending a leaf or a whole aligned subtree costs O(log n) hashes at most.
 */
export class CompactRange {
  readonly nodes: SubtreeNode[] = [];

  constructor(readonly start = 0) {}

  get end(): number {
    const last = this.nodes[this.nodes.length - 1];
    return last ? last.start + last.size : this.start;
  }

  appendLeaf(leaf: Uint8Array): void {
    this.appendNode({ start: this.end, size: 1, hash: leafHash(leaf) });
  }

  /** Appends an aligned subtree that starts at `end` (a node of another compact range that continues this one). */
  appendNode(node: SubtreeNode): void {
    if (node.start !== this.end)
      throw new Error(`subtree at ${node.start} does not continue a range ending at ${this.end}`);
    if (node.start % node.size !== 0) throw new Error(`subtree at ${node.start} of size ${node.size} is not aligned`);
    this.nodes.push(node);
    for (;;) {
      const n = this.nodes.length;
      if (n < 2) return;
      const left = this.nodes[n - 2];
      const right = this.nodes[n - 1];
      // Siblings: equal size, the left one at an even index of its level.
      if (left.size !== right.size || (left.start / left.size) % 2 !== 0) return;
      this.nodes.splice(n - 2, 2, { start: left.start, size: left.size * 2, hash: nodeHash(left.hash, right.hash) });
    }
  }

  /** The RFC 9162 root of the leaves [0, end): only for a range that starts at 0 (and is not empty). */
  root(): Buffer {
    if (this.start !== 0) throw new Error('only a range from the first leaf has a tree root');
    if (this.nodes.length === 0) return createHash('sha256').digest();
    let hash = this.nodes[this.nodes.length - 1].hash;
    for (let i = this.nodes.length - 2; i >= 0; i--) hash = nodeHash(this.nodes[i].hash, hash);
    return hash;
  }

  toJSON(): { start: number; end: number; nodes: string[] } {
    return { start: this.start, end: this.end, nodes: this.nodes.map((n) => n.hash.toString('base64url')) };
  }

  /** Rebuilds a range from its JSON (the sizes follow from start and end). */
  static fromJSON(json: { start: number; end: number; nodes: string[] }): CompactRange {
    const layout = decompose(json.start, json.end);
    if (layout.length !== json.nodes.length)
      throw new Error(`a range [${json.start}, ${json.end}) has ${layout.length} nodes, not ${json.nodes.length}`);
    const range = new CompactRange(json.start);
    layout.forEach((n, i) => range.nodes.push({ ...n, hash: Buffer.from(json.nodes[i], 'base64url') }));
    return range;
  }
}

/** The aligned subtrees of a compact range [start, end), left to right. */
export function decompose(start: number, end: number): Array<{ start: number; size: number }> {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start)
    throw new Error(`[${start}, ${end}) is not a range of leaves`);
  const out: Array<{ start: number; size: number }> = [];
  let at = start;
  while (at < end) {
    let size = 1;
    while (at % (size * 2) === 0 && at + size * 2 <= end) size *= 2;
    out.push({ start: at, size });
    at += size;
  }
  return out;
}

/** Thrown when a proof needs a subtree hash that a prune removed (only its enclosing subtree is kept). */
export class PrunedLeavesError extends Error {
  override readonly name = 'PrunedLeavesError';
}

/**
 * The whole tree as far as the ledger still holds it: the leaf hash of every present event, and for runs of pruned
 * events the compact ranges their LedgerPruned records keep. Any subtree hash a root, inclusion or consistency proof
 * needs is computed from these (proofs for a pruned leaf are no longer possible).
 */
export class MerkleTree {
  private readonly leaves: Array<Buffer | undefined> = [];
  private readonly kept = new Map<number, SubtreeNode>();

  get size(): number {
    return this.leaves.length;
  }

  appendLeaf(leaf: Uint8Array): number {
    this.leaves.push(leafHash(leaf));
    return this.leaves.length - 1;
  }

  /** A pruned run of leaves, given by its compact range (which must start at the current size). */
  appendPruned(range: CompactRange): void {
    if (range.start !== this.size)
      throw new Error(`a pruned run at leaf ${range.start} does not continue a tree of ${this.size} leaves`);
    for (const n of range.nodes) {
      this.kept.set(n.start, n);
      for (let i = 0; i < n.size; i++) this.leaves.push(undefined);
    }
  }

  /** The compact range of leaves [start, end): what a prune of them keeps. */
  range(start: number, end: number): CompactRange {
    const r = new CompactRange(start);
    for (const n of decompose(start, end)) r.nodes.push({ ...n, hash: this.hash(n.start, n.start + n.size) });
    return r;
  }

  /** MTH(D[0:n]). */
  root(n = this.size): Buffer {
    if (n === 0) return createHash('sha256').digest();
    return this.hash(0, n);
  }

  /** RFC 9162 §2.1.3.1 PATH(m, D[0:n]), from the leaf's sibling up. */
  inclusionPath(m: number, n = this.size): Buffer[] {
    if (!(m >= 0 && m < n && n <= this.size)) throw new RangeError(`leaf ${m} is not in a tree of ${n} leaves`);
    if (this.leaves[m] === undefined) throw new PrunedLeavesError(`leaf ${m} was pruned`);
    const path: Buffer[] = [];
    const walk = (m: number, lo: number, hi: number) => {
      if (hi - lo === 1) return;
      const k = splitPoint(hi - lo);
      if (m < k) {
        walk(m, lo, lo + k);
        path.push(this.hash(lo + k, hi));
      } else {
        walk(m - k, lo + k, hi);
        path.push(this.hash(lo, lo + k));
      }
    };
    walk(m, 0, n);
    return path;
  }

  /** RFC 9162 §2.1.4.1 PROOF(m, D[0:n]) for 0 < m ≤ n. */
  consistencyPath(m: number, n = this.size): Buffer[] {
    if (!(m > 0 && m <= n && n <= this.size)) throw new RangeError(`no consistency proof from ${m} to ${n} leaves`);
    const proof: Buffer[] = [];
    const sub = (m: number, lo: number, hi: number, whole: boolean) => {
      if (m === hi - lo) {
        if (!whole) proof.push(this.hash(lo, hi));
        return;
      }
      const k = splitPoint(hi - lo);
      if (m <= k) {
        sub(m, lo, lo + k, whole);
        proof.push(this.hash(lo + k, hi));
      } else {
        sub(m - k, lo + k, hi, false);
        proof.push(this.hash(lo, lo + k));
      }
    };
    sub(m, 0, n, true);
    return proof;
  }

  /** MTH(D[lo:hi]). */
  private hash(lo: number, hi: number): Buffer {
    const kept = this.kept.get(lo);
    if (kept && kept.size === hi - lo) return kept.hash;
    if (hi - lo === 1) {
      const leaf = this.leaves[lo];
      if (leaf === undefined) throw new PrunedLeavesError(`leaf ${lo} was pruned and no kept subtree covers it`);
      return leaf;
    }
    const k = splitPoint(hi - lo);
    return nodeHash(this.hash(lo, lo + k), this.hash(lo + k, hi));
  }
}
