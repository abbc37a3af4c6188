import { evolveKeyring } from '../src/domain/keyring/evolve.js';
import type { KeyringEvent } from '../src/domain/keyring/events.js';
import { initialKeyring, type KeyringState } from '../src/domain/keyring/state.js';
import { defineProjection } from './projection.js';

const apply = (state: KeyringState, event: { type: string; data: unknown }) =>
  evolveKeyring(state, event as KeyringEvent);

/** Every signing key ever generated, with its activation and retirement: feeds the JWKS and signing. */
export const keysProjection = defineProjection<KeyringState>({
  name: 'keys',
  version: 1,
  initialState: initialKeyring,
  on: { SigningKeyGenerated: apply, SigningKeyRetired: apply },
});
