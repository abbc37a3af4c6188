import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../src/config/privateFiles.js';
import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import type { AppliedEvent, DurableView } from '../src/eventsourcing/durableView.js';
import { CompactRange, eventLeaf } from '../src/eventsourcing/merkle.js';

interface Saved {
  version: 1;
  position: string;
  lastEvent: AppliedEvent | null;
  lastType: string | null;
  range: ReturnType<CompactRange['toJSON']>;
}

/** Written at most this often (and at close): a lost tail is re-read from the ledger at the next start. */
const SAVE_EVERY_MS = 2000;

/** The tree as the sealer needs it: its size, its root, and whether anything but a seal came after the last seal. */
interface MerkleHead {
  treeSize: number;
  rootHash: string;
  /** The type of the last leaf: nothing to seal when it is a LedgerSealed. */
  lastType: string | null;
}

/**
 * The Merkle frontier of the whole ledger (O(log n) hashes), fed by the runner's subscription off the request path
 * like the history index, and saved in the views directory so a restart goes on from there instead of rehashing the
 * ledger. Runs of leaves a prune removed are merged from the LedgerPruned records' compact ranges, given at start.
 */
export class MerkleFrontier implements DurableView {
  readonly name = 'merkle';
  private range = new CompactRange();
  private current = 0n;
  private last: AppliedEvent | null = null;
  private lastType: string | null = null;
  private savedAt = 0;
  private dirty = false;
  /** Nanoseconds spent hashing, and leaves hashed: what bookkeeping costs per append (the bench reads it). */
  readonly cost = { ns: 0n, leaves: 0 };

  constructor(
    private readonly file: string | undefined,
    private readonly pruned: Map<number, CompactRange> = new Map(),
  ) {
    if (file && existsSync(file)) {
      try {
        const saved = JSON.parse(readFileSync(file, 'utf8')) as Saved;
        if (saved.version !== 1) throw new Error('unknown version');
        this.range = CompactRange.fromJSON(saved.range);
        this.current = BigInt(saved.position);
        this.last = saved.lastEvent;
        this.lastType = saved.lastType;
      } catch {
        this.reset();
      }
    }
  }

  position(): bigint {
    return this.current;
  }

  lastEvent(): AppliedEvent | null {
    return this.last;
  }

  head(): MerkleHead {
    return {
      treeSize: this.range.end,
      rootHash: this.range.root().toString('base64url'),
      lastType: this.lastType,
    };
  }

  apply(batch: RecordedEvent[]): void {
    const started = process.hrtime.bigint();
    let applied = 0;
    for (const e of batch) {
      if (e.position <= this.current) continue;
      for (let run = this.pruned.get(this.range.end); run; run = this.pruned.get(this.range.end))
        for (const n of run.nodes) this.range.appendNode(n);
      this.range.appendLeaf(eventLeaf(e.metadata.hash));
      this.current = e.position;
      this.last = { id: e.id, stream: e.stream, revision: e.revision };
      this.lastType = e.type;
      applied++;
    }
    if (applied === 0) return;
    this.cost.ns += process.hrtime.bigint() - started;
    this.cost.leaves += applied;
    this.dirty = true;
    if (Date.now() - this.savedAt >= SAVE_EVERY_MS) this.save();
  }

  reset(): void {
    this.range = new CompactRange();
    this.current = 0n;
    this.last = null;
    this.lastType = null;
    this.dirty = true;
  }

  close(): void {
    this.save();
  }

  private save(): void {
    if (!this.file || !this.dirty) return;
    const saved: Saved = {
      version: 1,
      position: this.current.toString(),
      lastEvent: this.last,
      lastType: this.lastType,
      range: this.range.toJSON(),
    };
    ensurePrivateDir(dirname(this.file));
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(saved), { mode: PRIVATE_FILE_MODE });
    renameSync(tmp, this.file);
    this.savedAt = Date.now();
    this.dirty = false;
  }
}

export const merkleFrontierFile = (viewsDir: string) => join(viewsDir, 'merkle.json');
