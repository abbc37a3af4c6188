import type { AuthorizationGrantedEvent, CodeIssuedEvent, RefreshIssuedEvent } from '../src/domain/grants/events.js';
import type { SessionEndedEvent, SessionStartedEvent } from '../src/domain/sessions/events.js';
import type { RecordedEvent } from '../src/ledger/eventStore.js';
import { defineProjection } from './projection.js';

/** Views the authorization-code flow reads: sessions, remembered consent, live codes, refresh tokens. */
export interface AuthorizationView {
  sessions: Map<string, SessionStartedEvent['data']>;
  /** `${sub}\0${clientId}` → scopes consented to */
  consents: Map<string, Set<string>>;
  codes: Map<string, { grantId: string; exp: number }>;
  refresh: Map<string, RefreshIssuedEvent['data'] & { status: 'active' | 'rotated' }>;
  refreshByJti: Map<string, string>;
  /** grantId → refresh token hashes, so a revoked grant drops them all */
  refreshByGrant: Map<string, string[]>;
}

const CODE_MEMORY_SECONDS = 86_400;

export const consentKey = (sub: string, clientId: string) => `${sub}\0${clientId}`;

const data = <T>(e: RecordedEvent) => (e as unknown as { data: T }).data;

export const authorizationProjection = defineProjection<AuthorizationView>({
  name: 'authorization',
  version: 1,
  initialState: () => ({ sessions: new Map(), consents: new Map(), codes: new Map(), refresh: new Map(), refreshByJti: new Map(), refreshByGrant: new Map() }),
  on: {
    SessionStarted: (v, e) => {
      const d = data<SessionStartedEvent['data']>(e);
      v.sessions.set(d.sidHash, d);
      return v;
    },
    SessionEnded: (v, e) => {
      v.sessions.delete(data<SessionEndedEvent['data']>(e).sidHash);
      return v;
    },
    AuthorizationGranted: (v, e) => {
      const d = data<AuthorizationGrantedEvent['data']>(e);
      const key = consentKey(d.sub, d.clientId);
      const set = v.consents.get(key) ?? new Set<string>();
      for (const s of d.scope.split(' ')) if (s) set.add(s);
      v.consents.set(key, set);
      return v;
    },
    AuthorizationCodeIssued: (v, e) => {
      const d = data<CodeIssuedEvent['data']>(e);
      v.codes.set(d.codeHash, { grantId: d.grantId, exp: d.exp });
      return v;
    },
    RefreshTokenIssued: (v, e) => {
      const d = data<RefreshIssuedEvent['data']>(e);
      v.refresh.set(d.tokenHash, { ...d, status: 'active' });
      v.refreshByJti.set(d.jti, d.tokenHash);
      const list = v.refreshByGrant.get(d.grantId);
      if (list) list.push(d.tokenHash);
      else v.refreshByGrant.set(d.grantId, [d.tokenHash]);
      return v;
    },
    // A rotated token stays known until its family expires: presenting it again is reuse, not "unknown".
    RefreshTokenRotated: (v, e) => {
      const hash = v.refreshByJti.get(data<{ jti: string }>(e).jti);
      const token = hash ? v.refresh.get(hash) : undefined;
      if (token) token.status = 'rotated';
      return v;
    },
    GrantRevoked: (v, e) => {
      const { grantId } = data<{ grantId: string }>(e);
      for (const hash of v.refreshByGrant.get(grantId) ?? []) {
        const token = v.refresh.get(hash);
        if (token) v.refreshByJti.delete(token.jti);
        v.refresh.delete(hash);
      }
      v.refreshByGrant.delete(grantId);
      return v;
    },
  },
});

/** Drops sessions, codes and refresh tokens past their expiry; memory follows what is live. */
export function evictExpiredAuthorization(v: AuthorizationView, nowSeconds: number): void {
  for (const [hash, s] of v.sessions) if (s.exp <= nowSeconds) v.sessions.delete(hash);
  // A used code stays known for a day after it expires, so a late replay still revokes what it produced.
  for (const [hash, c] of v.codes) if (c.exp + CODE_MEMORY_SECONDS <= nowSeconds) v.codes.delete(hash);
  for (const [hash, r] of v.refresh) {
    if (r.familyExp > nowSeconds) continue;
    v.refresh.delete(hash);
    v.refreshByJti.delete(r.jti);
    v.refreshByGrant.delete(r.grantId);
  }
}
