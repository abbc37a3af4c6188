import { authorizationCodesProjection, type KnownCode } from '../../../projections/authorizationCodes.js';
import { backchannelLogoutsProjection, type PendingLogout } from '../../../projections/backchannelLogouts.js';
import { consentKey, consentsProjection } from '../../../projections/consents.js';
import { consentCovers as coversAll } from '../../domain/consent/consented.js';
import { refreshTokensProjection, type HeldRefreshToken } from '../../../projections/refreshTokens.js';
import { sessionsProjection, type Session } from '../../../projections/sessions.js';
import { userBySub } from './users.js';
import type { Views } from './views.js';

export type { PendingLogout };

/** The grant an authorization code was issued in, while the code is remembered (a day past its expiry). */
export const codeByHash = (views: Views, codeHash: string): KnownCode | undefined =>
  views(authorizationCodesProjection).byHash.get(codeHash);

/**
 * A refresh token known by its hash: active, or rotated out (presenting it again is reuse) until its family expires.
 */
export const refreshTokenByHash = (views: Views, tokenHash: string): HeldRefreshToken | undefined =>
  views(refreshTokensProjection).byHash.get(tokenHash);

/** The session with this sid hash while it is remembered (an expired one until eviction). */
export const sessionByHash = (views: Views, sidHash: string): Session | undefined =>
  views(sessionsProjection).byHash.get(sidHash);

/** A session the browser may go on with: not expired, and its user still registered and enabled. */
export function liveSession(views: Views, sidHash: string, nowSeconds: number): Session | undefined {
  const session = sessionByHash(views, sidHash);
  if (!session || session.exp <= nowSeconds) return undefined;
  const user = userBySub(views, session.sub);
  return user && !user.disabled ? session : undefined;
}

/**
 * Whether the user has consented to every one of `scopes` for this client at every one of `resources` (RFC 8707;
 * none: no specific resource) — remembered consent.
 */
export const consentCovers = (
  views: Views,
  sub: string,
  clientId: string,
  scopes: readonly string[],
  resources: readonly string[],
): boolean => coversAll(views(consentsProjection).bySubAndClient.get(consentKey(sub, clientId)), scopes, resources);

/** Back-channel logout tokens still owed whose next attempt is due at `nowMs`. */
export const dueLogouts = (views: Views, nowMs: number): PendingLogout[] =>
  [...views(backchannelLogoutsProjection).pending.values()].filter((p) => p.nextAttemptAt <= nowMs);
