import { authorizationProjection, consentKey, type PendingLogout } from '../../../projections/authorization.js';
import type { RefreshIssuedEvent } from '../../domain/grants/events.js';
import type { SessionStartedEvent } from '../../domain/sessions/events.js';
import { userBySub } from './users.js';
import type { Views } from './views.js';

export type Session = SessionStartedEvent['data'];
export type HeldRefreshToken = RefreshIssuedEvent['data'] & { status: 'active' | 'rotated' };

/** The grant an authorization code was issued in, while the code is remembered (a day past its expiry). */
export const codeByHash = (views: Views, codeHash: string): { grantId: string; exp: number } | undefined =>
  views(authorizationProjection).codes.get(codeHash);

/** A refresh token known by its hash: active, or rotated out (presenting it again is reuse) until its family expires. */
export const refreshTokenByHash = (views: Views, tokenHash: string): HeldRefreshToken | undefined =>
  views(authorizationProjection).refresh.get(tokenHash);

/** The session with this sid hash while it is remembered (an expired one until eviction). */
export const sessionByHash = (views: Views, sidHash: string): Session | undefined =>
  views(authorizationProjection).sessions.get(sidHash);

/** A session the browser may go on with: not expired, and its user still registered and enabled. */
export function liveSession(views: Views, sidHash: string, nowSeconds: number): Session | undefined {
  const session = sessionByHash(views, sidHash);
  if (!session || session.exp <= nowSeconds) return undefined;
  const user = userBySub(views, session.sub);
  return user && !user.disabled ? session : undefined;
}

/** Whether the user has consented to every one of `scopes` for this client (remembered consent). */
export function consentCovers(views: Views, sub: string, clientId: string, scopes: readonly string[]): boolean {
  const consented = views(authorizationProjection).consents.get(consentKey(sub, clientId));
  return consented !== undefined && scopes.every((s) => consented.has(s));
}

/** Back-channel logout tokens still owed whose next attempt is due at `nowMs`. */
export const dueLogouts = (views: Views, nowMs: number): PendingLogout[] =>
  [...views(authorizationProjection).pendingLogouts.values()].filter((p) => p.nextAttemptAt <= nowMs);
