import type { RefreshIssuedEvent } from '../src/domain/grants/events.js';
import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import { defineProjection } from './projection.js';
import { addTo, dataOf, removeFrom } from './viewMaps.js';

export type HeldRefreshToken = RefreshIssuedEvent['data'] & { status: 'active' | 'rotated' };

/** Refresh tokens by hash until their family expires or their grant is revoked. */
interface RefreshTokensView {
  byHash: Map<string, HeldRefreshToken>;
  byJti: Map<string, string>;
  /** grantId → refresh token hashes, so a revoked grant drops them all */
  byGrant: Map<string, string[]>;
  /** sub → grants holding a refresh token, so disabling a user touches only theirs */
  grantsBySub: Map<string, Set<string>>;
}

function dropGrant(v: RefreshTokensView, grantId: string): void {
  for (const hash of v.byGrant.get(grantId) ?? []) {
    const token = v.byHash.get(hash);
    if (token) {
      v.byJti.delete(token.jti);
      removeFrom(v.grantsBySub, token.sub, grantId);
    }
    v.byHash.delete(hash);
  }
  v.byGrant.delete(grantId);
}

/** UserDisabled and UserSessionsRevoked: the user's refresh tokens are gone, whether or not GrantRevoked follows. */
function dropAllOfUser(v: RefreshTokensView, e: RecordedEvent): RefreshTokensView {
  const { sub } = dataOf<{ sub: string }>(e);
  for (const grantId of [...(v.grantsBySub.get(sub) ?? [])]) dropGrant(v, grantId);
  v.grantsBySub.delete(sub);
  return v;
}

export const refreshTokensProjection = defineProjection<RefreshTokensView>({
  name: 'refreshTokens',
  version: 1,
  initialState: () => ({ byHash: new Map(), byJti: new Map(), byGrant: new Map(), grantsBySub: new Map() }),
  on: {
    RefreshTokenIssued: (v, e) => {
      const d = dataOf<RefreshIssuedEvent['data']>(e);
      v.byHash.set(d.tokenHash, { ...d, status: 'active' });
      v.byJti.set(d.jti, d.tokenHash);
      const list = v.byGrant.get(d.grantId);
      if (list) list.push(d.tokenHash);
      else v.byGrant.set(d.grantId, [d.tokenHash]);
      addTo(v.grantsBySub, d.sub, d.grantId);
      return v;
    },
    // A rotated token stays known until its family expires: presenting it again is reuse, not "unknown".
    RefreshTokenRotated: (v, e) => {
      const hash = v.byJti.get(dataOf<{ jti: string }>(e).jti);
      const token = hash ? v.byHash.get(hash) : undefined;
      if (token) token.status = 'rotated';
      return v;
    },
    GrantRevoked: (v, e) => {
      dropGrant(v, dataOf<{ grantId: string }>(e).grantId);
      return v;
    },
    UserDisabled: dropAllOfUser,
    UserSessionsRevoked: dropAllOfUser,
  },
});

/** Drops refresh tokens whose family has expired (a family expires whole: its grant goes with it). */
export function evictExpiredRefreshTokens(v: RefreshTokensView, nowSeconds: number): void {
  for (const [hash, r] of v.byHash) {
    if (r.familyExp > nowSeconds) continue;
    v.byHash.delete(hash);
    v.byJti.delete(r.jti);
    v.byGrant.delete(r.grantId);
    removeFrom(v.grantsBySub, r.sub, r.grantId);
  }
}
