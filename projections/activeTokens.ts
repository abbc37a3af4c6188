import type { AccessTokenIssuedEvent, TokenRevokedEvent } from '../src/domain/tokens/events.js';
import type { RecordedEvent } from '../src/ledger/eventStore.js';
import { defineProjection } from './projection.js';

export type ActiveToken = AccessTokenIssuedEvent['data'];

/** Expiry buckets of this many seconds: eviction walks whole buckets, never the whole map. */
const BUCKET_SECONDS = 60;

/**
 * Tokens that are neither revoked nor evicted after expiry, by hash (introspection, revocation) and
 * by jti (operators). Memory follows the number of live tokens: expired ones are evicted by
 * `evictExpired`, revoked ones are dropped at once — an unknown token is inactive anyway.
 */
export interface ActiveTokensView {
  byHash: Map<string, ActiveToken>;
  byJti: Map<string, ActiveToken>;
  /** bucket start (epoch s) → jtis expiring in it */
  expiring: Map<number, string[]>;
  /** grantId → jtis of its live access tokens, so a revoked grant drops them at once */
  byGrant: Map<string, Set<string>>;
}

const bucketOf = (exp: number) => exp - (exp % BUCKET_SECONDS);

function issued(view: ActiveTokensView, event: RecordedEvent): ActiveTokensView {
  const token = (event as unknown as AccessTokenIssuedEvent).data;
  view.byHash.set(token.tokenHash, token);
  view.byJti.set(token.jti, token);
  if (token.grantId) {
    const set = view.byGrant.get(token.grantId);
    if (set) set.add(token.jti);
    else view.byGrant.set(token.grantId, new Set([token.jti]));
  }
  const bucket = bucketOf(token.exp);
  const list = view.expiring.get(bucket);
  if (list) list.push(token.jti);
  else view.expiring.set(bucket, [token.jti]);
  return view;
}

function forget(view: ActiveTokensView, jti: string): boolean {
  const token = view.byJti.get(jti);
  if (!token) return false;
  view.byJti.delete(jti);
  view.byHash.delete(token.tokenHash);
  if (token.grantId) {
    const set = view.byGrant.get(token.grantId);
    set?.delete(jti);
    if (set?.size === 0) view.byGrant.delete(token.grantId);
  }
  return true;
}

function revoked(view: ActiveTokensView, event: RecordedEvent): ActiveTokensView {
  forget(view, (event as unknown as TokenRevokedEvent).data.jti);
  return view;
}

function grantRevoked(view: ActiveTokensView, event: RecordedEvent): ActiveTokensView {
  const { grantId } = (event as unknown as { data: { grantId: string } }).data;
  for (const jti of view.byGrant.get(grantId) ?? []) forget(view, jti);
  view.byGrant.delete(grantId);
  return view;
}

export const activeTokensProjection = defineProjection<ActiveTokensView>({
  name: 'activeTokens',
  version: 2,
  initialState: () => ({ byHash: new Map(), byJti: new Map(), expiring: new Map(), byGrant: new Map() }),
  on: { AccessTokenIssued: issued, TokenRevoked: revoked, GrantRevoked: grantRevoked },
});

/** Drops every token whose expiry bucket has fully passed at `nowSeconds`. */
export function evictExpired(view: ActiveTokensView, nowSeconds: number): number {
  let evicted = 0;
  for (const [bucket, jtis] of view.expiring) {
    if (bucket + BUCKET_SECONDS > nowSeconds) continue;
    for (const jti of jtis) if (forget(view, jti)) evicted++;
    view.expiring.delete(bucket);
  }
  return evicted;
}

/** The active token with this hash at `nowSeconds`, or undefined (unknown, revoked or expired). */
export function activeTokenByHash(view: ActiveTokensView, tokenHash: string, nowSeconds: number): ActiveToken | undefined {
  const token = view.byHash.get(tokenHash);
  return token && token.exp > nowSeconds ? token : undefined;
}
