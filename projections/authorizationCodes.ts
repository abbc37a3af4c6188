import type { CodeIssuedEvent } from '../src/domain/grants/events.js';
import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import { defineProjection } from './projection.js';
import { addTo, dataOf, removeFrom } from './viewMaps.js';

/** A used code stays known for a day after it expires, so a late replay still revokes what it produced. */
const CODE_MEMORY_SECONDS = 86_400;

export interface KnownCode {
  grantId: string;
  sub: string;
  /** epoch s */
  exp: number;
}

/** Authorization codes by hash (each names the grant whose stream decides its redemption). */
interface AuthorizationCodesView {
  byHash: Map<string, KnownCode>;
  /** sub → their codes' hashes, so disabling a user touches only theirs */
  bySub: Map<string, Set<string>>;
}

function forget(v: AuthorizationCodesView, codeHash: string): void {
  const code = v.byHash.get(codeHash);
  v.byHash.delete(codeHash);
  if (code) removeFrom(v.bySub, code.sub, codeHash);
}

/** UserDisabled and UserSessionsRevoked: the user's outstanding codes are gone. */
function forgetAllOfUser(v: AuthorizationCodesView, e: RecordedEvent): AuthorizationCodesView {
  const { sub } = dataOf<{ sub: string }>(e);
  for (const codeHash of v.bySub.get(sub) ?? []) v.byHash.delete(codeHash);
  v.bySub.delete(sub);
  return v;
}

export const authorizationCodesProjection = defineProjection<AuthorizationCodesView>({
  name: 'authorizationCodes',
  version: 1,
  initialState: () => ({ byHash: new Map(), bySub: new Map() }),
  on: {
    AuthorizationCodeIssued: (v, e) => {
      const d = dataOf<CodeIssuedEvent['data']>(e);
      v.byHash.set(d.codeHash, { grantId: d.grantId, sub: d.sub, exp: d.exp });
      addTo(v.bySub, d.sub, d.codeHash);
      return v;
    },
    UserDisabled: forgetAllOfUser,
    UserSessionsRevoked: forgetAllOfUser,
  },
});

/** Drops codes a day past their expiry. */
export function evictExpiredCodes(v: AuthorizationCodesView, nowSeconds: number): void {
  for (const [hash, c] of v.byHash) if (c.exp + CODE_MEMORY_SECONDS <= nowSeconds) forget(v, hash);
}
