import { PRUNE_STREAM } from '../domain/retention/events.js';
import type { SealData } from '../application/seals.js';
import type { EventStore, RecordedEvent } from '../eventsourcing/eventStore.js';
import { CompactRange, eventLeaf, MerkleTree } from '../eventsourcing/merkle.js';
import { allEvents } from './store.js';

type PrunedRun = { start: number; end: number; nodes: string[] };

/** The compact ranges the ledger's LedgerPruned records keep, by the first leaf each run replaces. */
export async function prunedRanges(store: Pick<EventStore, 'readStream'>): Promise<Map<number, CompactRange>> {
  const ranges = new Map<number, CompactRange>();
  for (const e of await store.readStream(PRUNE_STREAM)) {
    for (const run of (e.data as { merkle?: PrunedRun[] }).merkle ?? []) {
      ranges.set(run.start, CompactRange.fromJSON(run));
    }
  }
  return ranges;
}

export interface SealedAt {
  /** The seal event's own leaf index (it is in the tree after the size it seals). */
  index: number;
  id: string;
  seal: SealData;
}

interface LedgerTree {
  tree: MerkleTree;
  seals: SealedAt[];
  /** Pruned runs that do not sit where the tree has reached: a LedgerPruned record was altered. */
  problems: string[];
}

/**
 * The Merkle tree of the ledger as stored (leaf i: the i-th event in position order, or a pruned run's compact range
 * where its LedgerPruned record puts it), every seal met on the way, and `visit` told each event's leaf index.
 */
export async function buildLedgerTree(
  store: EventStore,
  visit?: (e: RecordedEvent, index: number) => void,
): Promise<LedgerTree> {
  const pruned = await prunedRanges(store);
  const tree = new MerkleTree();
  const seals: SealedAt[] = [];
  const problems: string[] = [];
  const mergeRuns = () => {
    for (let run = pruned.get(tree.size); run; run = pruned.get(tree.size)) {
      tree.appendPruned(run);
      pruned.delete(run.start);
    }
  };
  for await (const e of allEvents(store)) {
    mergeRuns();
    const index = tree.appendLeaf(eventLeaf(e.metadata?.hash ?? ''));
    if (e.type === 'LedgerSealed') seals.push({ index, id: e.id, seal: e.data as SealData });
    visit?.(e, index);
  }
  mergeRuns();
  for (const run of pruned.values())
    problems.push(`a LedgerPruned record keeps leaves ${run.start}–${run.end - 1}, which the tree never reaches there`);
  return { tree, seals, problems };
}
