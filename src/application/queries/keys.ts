import { keysProjection } from '../../../projections/keys.js';
import type { KeyRecord } from '../../domain/keyring/state.js';
import type { Views } from './views.js';

/** Every signing key ever generated, in generation order. */
export const allSigningKeys = (views: Views): IterableIterator<KeyRecord> => views(keysProjection).keys.values();

export const signingKeyByKid = (views: Views, kid: string): KeyRecord | undefined =>
  views(keysProjection).keys.get(kid);
