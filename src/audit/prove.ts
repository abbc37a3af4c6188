import type { SealData } from '../application/seals.js';
import { Refusal } from '../domain/refusal.js';
import { SEAL_STREAM } from '../domain/seals/events.js';
import type { EventStore, RecordedEvent } from '../eventsourcing/eventStore.js';
import { PrunedLeavesError } from '../eventsourcing/merkle.js';
import type { ConsistencyProof, InclusionProof } from '../sdk/ledger-proof.js';
import { buildLedgerTree, type SealedAt } from './ledgerTree.js';

/** A proof the ledger cannot give: an unknown event or seal, an event not sealed yet, a pruned one. */
class ProofRefused extends Refusal {
  override readonly name = 'ProofRefused';
  constructor(message: string) {
    super('invalid_request', message);
  }
}

const b64 = (list: Buffer[]) => list.map((h) => h.toString('base64url'));

/** The seal as a verifier takes it: exactly the LedgerSealed data. */
const sealOf = (s: SealedAt): SealData => {
  const { treeSize, rootHash, sealedAt, kid, jws } = s.seal;
  return { treeSize, rootHash, sealedAt, kid, jws };
};

/**
 * The inclusion proof of one event against the latest seal that covers it: the event as stored (the verifier
 * recomputes its hash), its leaf index, the audit path, and the seal. The store must be read as written (no
 * upcasting): the proof is about the bytes the hashes cover.
 */
export async function proveEvent(
  store: EventStore,
  which: { id: string } | { jti: string },
): Promise<InclusionProof & { position: string }> {
  const matches =
    'id' in which
      ? (e: RecordedEvent) => e.id === which.id
      : (e: RecordedEvent) => e.type.endsWith('TokenIssued') && (e.data as { jti?: unknown }).jti === which.jti;
  let found: { event: RecordedEvent; index: number } | undefined;
  const { tree, seals } = await buildLedgerTree(store, (e, index) => {
    if (!found && matches(e)) found = { event: e, index };
  });
  const named = 'id' in which ? `event ${which.id}` : `issuance of token ${which.jti}`;
  if (!found) throw new ProofRefused(`no ${named} in the ledger (pruned, or never written)`);
  const { event, index } = found;
  const id = event.id;
  const seal = seals.filter((s) => s.seal.treeSize > index).sort((a, b) => b.seal.treeSize - a.seal.treeSize)[0];
  if (!seal)
    throw new ProofRefused(
      `event ${id} (leaf ${index}) is not sealed yet: the next seal covers it (SEAL_INTERVAL_SECONDS)`,
    );
  return {
    format: 'token-ledger-inclusion-proof/1',
    event: {
      id: event.id,
      stream: event.stream,
      revision: event.revision,
      type: event.type,
      data: event.data,
      metadata: event.metadata as unknown as InclusionProof['event']['metadata'],
    },
    leafIndex: index,
    treeSize: seal.seal.treeSize,
    auditPath: b64(tree.inclusionPath(index, seal.seal.treeSize)),
    seal: sealOf(seal),
    // Not covered by any hash (a store's numbering); for the reader only.
    position: event.position.toString(),
  };
}

/** A seal named by its event id or its tree size. */
function findSeal(seals: SealedAt[], ref: string, which: string): SealedAt {
  const bySize = /^\d+$/.test(ref) ? seals.find((s) => s.seal.treeSize === Number(ref)) : undefined;
  const seal = bySize ?? seals.find((s) => s.id === ref);
  if (!seal) throw new ProofRefused(`${which} seal ${ref} is not in the ledger (a seal's event id or tree size)`);
  return seal;
}

/** The RFC 9162 consistency proof from seal `from` to seal `to` (each a seal's event id or tree size). */
export async function proveConsistency(store: EventStore, from: string, to: string): Promise<ConsistencyProof> {
  const { tree, seals } = await buildLedgerTree(store);
  const a = findSeal(seals, from, 'the first');
  const b = findSeal(seals, to, 'the second');
  if (a.seal.treeSize > b.seal.treeSize)
    throw new ProofRefused(`the first seal (${a.seal.treeSize} events) is later than the second (${b.seal.treeSize})`);
  let path: Buffer[];
  try {
    path = tree.consistencyPath(a.seal.treeSize, b.seal.treeSize);
  } catch (err) {
    if (err instanceof PrunedLeavesError) throw new ProofRefused(`no consistency proof: ${err.message}`);
    throw err;
  }
  return { format: 'token-ledger-consistency-proof/1', from: sealOf(a), to: sealOf(b), path: b64(path) };
}

/** The latest seal, for an auditor to keep. */
export async function latestSeal(store: EventStore): Promise<SealData | undefined> {
  const events = (await store.readStream(SEAL_STREAM)).filter((e) => e.type === 'LedgerSealed');
  const last = events[events.length - 1];
  return last && sealOf({ index: -1, id: last.id, seal: last.data as SealData });
}
