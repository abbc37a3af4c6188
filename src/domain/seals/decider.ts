import type { Decider } from '../decider.js';
import type { NewKeyMaterial } from '../keyring/decide.js';
import type { EncryptedKey } from '../keyring/state.js';
import { Refusal } from '../refusal.js';
import type { SealEvent } from './events.js';

export interface SealKeyRecord {
  kid: string;
  publicJwk: Record<string, unknown>;
  encryptedPrivateKey: EncryptedKey;
  activatesAt: number;
}

export interface SealState {
  /** Every seal key ever generated, oldest first; the last one signs. */
  keys: SealKeyRecord[];
  /** The tree size of the last seal (0: none yet). */
  lastTreeSize: number;
}

export type NewSealKey = Omit<NewKeyMaterial, 'alg'> & { alg: 'ES256' };

type SealCommand =
  | { type: 'EnsureSealKey'; now: number; key: NewSealKey }
  | { type: 'RotateSealKey'; now: number; key: NewSealKey }
  | { type: 'Seal'; treeSize: number; rootHash: string; sealedAt: number; kid: string; jws: string };

export class SealError extends Refusal {
  override readonly name = 'SealError';
  constructor(message: string) {
    super('invalid_request', message);
  }
}

export const currentSealKey = (state: SealState): SealKeyRecord | undefined => state.keys[state.keys.length - 1];

const generated = (key: NewSealKey, now: number): SealEvent => ({
  type: 'SealKeyGenerated',
  data: { ...key, activatesAt: new Date(now).toISOString() },
});

function decideSeal(command: SealCommand, state: SealState): SealEvent[] {
  switch (command.type) {
    case 'EnsureSealKey':
      // Another instance starting at the same time may have won: its key is adopted.
      return state.keys.length > 0 ? [] : [generated(command.key, command.now)];
    case 'RotateSealKey':
      if (state.keys.some((k) => k.kid === command.key.kid))
        throw new SealError(`seal key ${command.key.kid} already exists`);
      return [generated(command.key, command.now)];
    case 'Seal': {
      // Another process sealed this size (or a later one) first: the ledger needs no second seal of it.
      if (command.treeSize <= state.lastTreeSize) return [];
      const current = currentSealKey(state);
      if (!current) throw new SealError('the ledger has no seal key yet');
      if (current.kid !== command.kid)
        throw new SealError(`seal key ${command.kid} no longer signs: ${current.kid} does`);
      const { treeSize, rootHash, kid, jws } = command;
      return [
        {
          type: 'LedgerSealed',
          data: { treeSize, rootHash, sealedAt: new Date(command.sealedAt).toISOString(), kid, jws },
        },
      ];
    }
  }
}

function evolveSeal(state: SealState, event: SealEvent): SealState {
  switch (event.type) {
    case 'SealKeyGenerated': {
      const { kid, publicJwk, encryptedPrivateKey, activatesAt } = event.data;
      return {
        ...state,
        keys: [...state.keys, { kid, publicJwk, encryptedPrivateKey, activatesAt: Date.parse(activatesAt) }],
      };
    }
    case 'LedgerSealed':
      return { ...state, lastTreeSize: Math.max(state.lastTreeSize, event.data.treeSize) };
  }
}

export const sealDecider: Decider<SealCommand, SealState, SealEvent> = {
  initialState: () => ({ keys: [], lastTreeSize: 0 }),
  evolve: evolveSeal,
  decide: decideSeal,
};
