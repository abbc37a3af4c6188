import type { SealData } from '../application/seals.js';
import { sealDecider } from '../domain/seals/decider.js';
import { SEAL_STREAM, type SealEvent } from '../domain/seals/events.js';
import type { EventStore, RecordedEvent } from '../eventsourcing/eventStore.js';
import { CompactRange, eventLeaf } from '../eventsourcing/merkle.js';
import { verifySeal, type Jwks } from '../sdk/ledger-proof.js';
import { prunedRanges } from './ledgerTree.js';

export interface SealSummary {
  /** LedgerSealed events found and checked. */
  seals: number;
  /** Leaves of the Merkle tree: every event, pruned ones included. */
  treeSize: number;
  /** The tree's root now (base64url): what the next seal will sign, if nothing is appended before. */
  rootHash: string;
  latest: SealData | null;
  /** Whether the seal keys were given by the auditor (`--seal-keys`) rather than read from the ledger itself. */
  pinnedKeys: boolean;
  /** The seal the auditor kept (`--seal`), checked against this ledger. */
  kept?: { treeSize: number; rootHash: string; extended: boolean };
}

interface SealProblem {
  event: RecordedEvent | null;
  problem: string;
}

/**
 * Recomputes the ledger's Merkle tree as `verify` walks it (a frontier: O(log n) memory) and checks every seal: its
 * root is the tree's root at its size, and its JWS verifies with the seal key it names. The sizes to stop at are read
 * from the seal stream first, so the root of each is taken as the walk passes it.
 */
export class SealChecker {
  private readonly range = new CompactRange();
  private readonly roots = new Map<number, string>();
  private readonly signatures: Array<Promise<SealProblem | undefined>> = [];
  private seals = 0;
  private latest: SealData | null = null;

  private constructor(
    private readonly wanted: Set<number>,
    private readonly pruned: Map<number, CompactRange>,
    private readonly jwks: Jwks,
    private readonly pinned: boolean,
    private readonly kept?: SealData,
  ) {}

  static async open(store: EventStore, options: { jwks?: Jwks; kept?: SealData } = {}): Promise<SealChecker> {
    const events = await store.readStream(SEAL_STREAM);
    const state = events.reduce((s, e) => sealDecider.evolve(s, e as unknown as SealEvent), sealDecider.initialState());
    const wanted = new Set<number>();
    for (const e of events) if (e.type === 'LedgerSealed') wanted.add((e.data as SealData).treeSize);
    if (options.kept) wanted.add(options.kept.treeSize);
    const jwks = options.jwks ?? { keys: state.keys.map((k) => k.publicJwk as Jwks['keys'][number]) };
    return new SealChecker(wanted, await prunedRanges(store), jwks, options.jwks !== undefined, options.kept);
  }

  /** Adds the event's leaf; for a seal, the problems with it (its signature is checked in `finish`). */
  onEvent(e: RecordedEvent): string[] {
    for (let run = this.pruned.get(this.range.end); run; run = this.pruned.get(this.range.end)) {
      for (const n of run.nodes) this.take(n);
      this.pruned.delete(run.start);
    }
    const found: string[] = [];
    if (e.type === 'LedgerSealed' && e.stream === SEAL_STREAM) {
      const seal = e.data as SealData;
      this.seals++;
      this.latest = seal;
      const root = this.roots.get(seal.treeSize);
      if (seal.treeSize > this.range.end)
        found.push(`the seal signs a tree of ${seal.treeSize} events but only ${this.range.end} precede it`);
      else if (root !== seal.rootHash)
        found.push(
          `the ledger no longer matches this seal of its first ${seal.treeSize} events (sealed ${seal.sealedAt}): ` +
            `their Merkle root is ${root}, the seal signs ${seal.rootHash}: an event among them was altered, ` +
            `removed or reordered after it was sealed`,
        );
      this.signatures.push(
        verifySeal(seal, this.jwks).then((r) =>
          r.ok ? undefined : { event: e, problem: `seal ${seal.treeSize}: ${r.reason}` },
        ),
      );
    }
    this.take({ start: this.range.end, size: 1, leaf: eventLeaf(e.metadata?.hash ?? '') });
    return found;
  }

  async finish(): Promise<{ summary: SealSummary; problems: SealProblem[] }> {
    const problems: SealProblem[] = [];
    for (const run of this.pruned.values())
      problems.push({
        event: null,
        problem:
          `a LedgerPruned record keeps leaves ${run.start}–${run.end - 1} of the Merkle tree, ` +
          'which the ledger never reaches there',
      });
    for (const p of await Promise.all(this.signatures)) if (p) problems.push(p);
    const summary: SealSummary = {
      seals: this.seals,
      treeSize: this.range.end,
      rootHash: this.range.root().toString('base64url'),
      latest: this.latest,
      pinnedKeys: this.pinned,
    };
    if (this.kept) {
      const kept = this.kept;
      const signed = await verifySeal(kept, this.jwks);
      if (!signed.ok) problems.push({ event: null, problem: `the kept seal is refused: ${signed.reason}` });
      const root = this.roots.get(kept.treeSize);
      const extended = signed.ok && root === kept.rootHash;
      if (signed.ok && !extended)
        problems.push({
          event: null,
          problem:
            root === undefined
              ? `the kept seal signs ${kept.treeSize} events but the ledger has only ${this.range.end}: ` +
                'it was truncated'
              : `the ledger does not extend the kept seal: its first ${kept.treeSize} events have the root ${root}, ` +
                `the kept seal signs ${kept.rootHash}: history was rewritten`,
        });
      summary.kept = { treeSize: kept.treeSize, rootHash: kept.rootHash, extended };
    }
    return { summary, problems };
  }

  private take(n: { start: number; size: number; hash?: Buffer; leaf?: Buffer }): void {
    if (n.leaf) this.range.appendLeaf(n.leaf);
    else this.range.appendNode({ start: n.start, size: n.size, hash: n.hash! });
    if (this.wanted.has(this.range.end)) this.roots.set(this.range.end, this.range.root().toString('base64url'));
  }
}
