/**
 * The ledger's Merkle tree (RFC 9162 §2.1): the Certificate Transparency test vectors, and property tests of the
 * compact range, the proofs and the offline verifier (src/sdk/ledger-proof.ts) against a literal transcription of
 * the RFC's recursive definitions.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { CompactRange, decompose, leafHash, MerkleTree, PrunedLeavesError } from '../../src/eventsourcing/merkle.js';
import { checkConsistencyPath, checkInclusionPath } from '../../src/sdk/ledger-proof.js';

const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

// The RFC's definitions, word for word, over leaf inputs.
const k = (n: number) => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};
const mth = (d: Buffer[]): Buffer =>
  d.length === 0
    ? sha()
    : d.length === 1
      ? sha(Buffer.from([0]), d[0])
      : sha(Buffer.from([1]), mth(d.slice(0, k(d.length))), mth(d.slice(k(d.length))));
const path = (m: number, d: Buffer[]): Buffer[] =>
  d.length === 1
    ? []
    : m < k(d.length)
      ? [...path(m, d.slice(0, k(d.length))), mth(d.slice(k(d.length)))]
      : [...path(m - k(d.length), d.slice(k(d.length))), mth(d.slice(0, k(d.length)))];
const subproof = (m: number, d: Buffer[], b: boolean): Buffer[] => {
  if (m === d.length) return b ? [] : [mth(d)];
  const n = k(d.length);
  return m <= n
    ? [...subproof(m, d.slice(0, n), b), mth(d.slice(n))]
    : [...subproof(m - n, d.slice(n), false), mth(d.slice(0, n))];
};

const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => Buffer.from(h, 'hex'));
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const hex = (list: Buffer[]) => list.map((b) => b.toString('hex'));

const treeOf = (leaves: Buffer[]) => {
  const t = new MerkleTree();
  for (const l of leaves) t.appendLeaf(l);
  return t;
};
// Distinct leaves: with two equal leaves, swapping their indexes is no forgery.
const leavesArb = fc
  .array(fc.uint8Array({ minLength: 0, maxLength: 8 }), { minLength: 1, maxLength: 70 })
  .map((ls) => ls.map((l, i) => Buffer.concat([Buffer.from([i]), l])));

describe('Merkle tree (RFC 9162 §2.1)', () => {
  it('reproduces the Certificate Transparency roots for sizes 1 to 8, by tree and by frontier', () => {
    assert.equal(new MerkleTree().root().toString('hex'), sha().toString('hex'));
    const frontier = new CompactRange();
    for (let n = 1; n <= 8; n++) {
      frontier.appendLeaf(CT_LEAVES[n - 1]);
      assert.equal(treeOf(CT_LEAVES.slice(0, n)).root().toString('hex'), CT_ROOTS[n - 1], `size ${n}`);
      assert.equal(frontier.root().toString('hex'), CT_ROOTS[n - 1], `frontier size ${n}`);
    }
  });

  it('reproduces the Certificate Transparency inclusion and consistency proofs', () => {
    const t = treeOf(CT_LEAVES);
    assert.deepEqual(hex(t.inclusionPath(0, 8)), [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    assert.deepEqual(hex(t.inclusionPath(5, 8)), [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    assert.deepEqual(hex(t.consistencyPath(6, 8)), [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    assert.deepEqual(hex(t.consistencyPath(2, 5)), [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ]);
    assert.deepEqual(t.consistencyPath(8, 8), []);
  });

  it('agrees with the RFC recursion on roots, paths and proofs, and the verifier accepts exactly those', async () => {
    await fc.assert(
      fc.asyncProperty(leavesArb, fc.nat(), fc.nat(), async (leaves, a, b) => {
        const n = leaves.length;
        const t = treeOf(leaves);
        const frontier = new CompactRange();
        for (const l of leaves) frontier.appendLeaf(l);
        assert.ok(frontier.root().equals(mth(leaves)));
        assert.ok(t.root().equals(mth(leaves)));
        assert.equal(frontier.nodes.length, decompose(0, n).length);
        const m = a % n;
        const p = t.inclusionPath(m);
        assert.deepEqual(hex(p), hex(path(m, leaves)));
        assert.equal(await checkInclusionPath(leafHash(leaves[m]), m, n, p, t.root()), null);
        if (n > 1) assert.notEqual(await checkInclusionPath(leafHash(leaves[m]), (m + 1) % n, n, p, t.root()), null);
        if (p.length > 0) {
          const forged = p.map((h, i) => (i === b % p.length ? sha(h) : h));
          assert.notEqual(await checkInclusionPath(leafHash(leaves[m]), m, n, forged, t.root()), null);
        }
        const first = (b % n) + 1;
        const c = t.consistencyPath(first);
        assert.deepEqual(hex(c), hex(subproof(first, leaves, true)));
        const r1 = mth(leaves.slice(0, first));
        assert.equal(await checkConsistencyPath(first, n, r1, t.root(), c), null);
        if (first < n) {
          assert.notEqual(await checkConsistencyPath(first, n, sha(r1), t.root(), c), null);
          assert.notEqual(await checkConsistencyPath(first, n, r1, sha(t.root()), c), null);
          assert.notEqual(await checkConsistencyPath(first, n, r1, t.root(), c.slice(1)), null);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps roots and proofs of present leaves after a run of leaves is replaced by its compact range', () => {
    fc.assert(
      fc.property(leavesArb, fc.nat(), fc.nat(), (leaves, a, b) => {
        const n = leaves.length;
        const from = a % n;
        const to = from + 1 + (b % (n - from));
        const full = treeOf(leaves);
        const range = full.range(from, to);
        const json = JSON.parse(JSON.stringify(range)) as ReturnType<CompactRange['toJSON']>;
        const pruned = treeOf(leaves.slice(0, from));
        pruned.appendPruned(CompactRange.fromJSON(json));
        for (const l of leaves.slice(to)) pruned.appendLeaf(l);
        assert.ok(pruned.root().equals(full.root()));
        // Every seal size outside the run, and every present leaf, still has its proofs.
        for (const size of [from, to, n]) if (size > 0) assert.ok(pruned.root(size).equals(full.root(size)));
        for (let m = 0; m < n; m++) {
          if (m >= from && m < to) assert.throws(() => pruned.inclusionPath(m), PrunedLeavesError);
          else assert.deepEqual(hex(pruned.inclusionPath(m)), hex(full.inclusionPath(m)));
        }
        if (from > 0) assert.deepEqual(hex(pruned.consistencyPath(from)), hex(full.consistencyPath(from)));
        assert.deepEqual(hex(pruned.consistencyPath(to)), hex(full.consistencyPath(to)));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a compact range that does not continue the tree or does not match its layout', () => {
    const t = treeOf(CT_LEAVES.slice(0, 3));
    assert.throws(() => t.appendPruned(new CompactRange(4)), /does not continue/);
    assert.throws(() => CompactRange.fromJSON({ start: 0, end: 3, nodes: ['AA'] }), /has 2 nodes, not 1/);
    assert.throws(() => decompose(3, 2), /not a range/);
  });
});
