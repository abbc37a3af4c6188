import type { SealData } from '../src/application/seals.js';
import { defineProjection } from './projection.js';

/** The latest LedgerSealed: the seal itself, never a key. */
export type LastSeal = Pick<SealData, 'treeSize' | 'rootHash' | 'sealedAt'>;

/**
 * The ledger's latest seal (docs/audit-seals.md), for the console's status without reading the seal stream, which
 * grows by one event every SEAL_INTERVAL_SECONDS. Kept out of `allProjections` (runtime.ts adds it): the replay
 * digest covers those views, and a view added there would change every digest recorded before it.
 */
export const lastSealProjection = defineProjection<{ seal: LastSeal | null }>({
  name: 'lastSeal',
  version: 1,
  initialState: () => ({ seal: null }),
  on: {
    LedgerSealed: (state, event: { data: SealData }) => {
      const { treeSize, rootHash, sealedAt } = event.data;
      state.seal = { treeSize, rootHash, sealedAt };
      return state;
    },
  },
});
