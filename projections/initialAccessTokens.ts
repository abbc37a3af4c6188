import type { RegistrationPolicy } from '../src/domain/registration/policy.js';
import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import { defineProjection } from './projection.js';

/** One initial access token as operators see it: never the token, only its SHA-256 (its id). */
export interface InitialAccessTokenRecord {
  id: string;
  /** ms */
  createdAt: number;
  createdBy?: string;
  /** ms; null: it does not expire. */
  expiresAt: number | null;
  /** Registrations it allowed when minted; null: any number. */
  uses: number | null;
  usedCount: number;
  /** ms */
  lastUsedAt?: number;
  /** ms */
  revokedAt?: number;
  policy?: RegistrationPolicy;
}

interface InitialAccessTokensView {
  byId: Map<string, InitialAccessTokenRecord>;
}

type Issued = RecordedEvent<
  string,
  { tokenHash: string; expiresAt: number | null; uses: number | null; policy?: RegistrationPolicy }
>;
type OfToken = RecordedEvent<string, { tokenHash: string }>;

/** Every initial access token ever minted, in minting order. */
export const initialAccessTokensProjection = defineProjection<InitialAccessTokensView>({
  name: 'initialAccessTokens',
  version: 1,
  initialState: () => ({ byId: new Map() }),
  on: {
    InitialAccessTokenIssued: (view, e: Issued) => {
      const { tokenHash, expiresAt, uses, policy } = e.data;
      view.byId.set(tokenHash, {
        id: tokenHash,
        createdAt: e.recordedAt.getTime(),
        ...(e.metadata.actor && { createdBy: e.metadata.actor }),
        expiresAt,
        uses,
        usedCount: 0,
        ...(policy && { policy }),
      });
      return view;
    },
    InitialAccessTokenUsed: (view, e: OfToken) => {
      const t = view.byId.get(e.data.tokenHash);
      if (t) {
        t.usedCount++;
        t.lastUsedAt = e.recordedAt.getTime();
      }
      return view;
    },
    InitialAccessTokenRevoked: (view, e: OfToken) => {
      const t = view.byId.get(e.data.tokenHash);
      if (t) t.revokedAt = e.recordedAt.getTime();
      return view;
    },
  },
});
