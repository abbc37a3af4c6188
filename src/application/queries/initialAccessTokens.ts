import {
  initialAccessTokensProjection,
  type InitialAccessTokenRecord,
} from '../../../projections/initialAccessTokens.js';
import type { Views } from './views.js';

/** Every initial access token ever minted, in minting order (revoked, expired and used-up ones too). */
export const allInitialAccessTokens = (views: Views): IterableIterator<InitialAccessTokenRecord> =>
  views(initialAccessTokensProjection).byId.values();

export const initialAccessTokenById = (views: Views, id: string): InitialAccessTokenRecord | undefined =>
  views(initialAccessTokensProjection).byId.get(id);
