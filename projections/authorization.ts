import { authorizationCodesProjection, evictExpiredCodes } from './authorizationCodes.js';
import { backchannelLogoutsProjection, evictExpiredLogoutSessions } from './backchannelLogouts.js';
import { consentsProjection } from './consents.js';
import type { Projection } from './projection.js';
import { evictExpiredRefreshTokens, refreshTokensProjection } from './refreshTokens.js';
import { evictExpiredSessions, sessionsProjection } from './sessions.js';

/**
 * The authorization-code flow's views, one per thing held: sessions, remembered consent, codes,
 * refresh tokens, back-channel logouts owed. Each follows the events it needs on its own (a user's
 * disabling ends their sessions, codes and refresh tokens in each), so none reads another.
 */
export const authorizationProjections = [
  sessionsProjection,
  consentsProjection,
  authorizationCodesProjection,
  refreshTokensProjection,
  backchannelLogoutsProjection,
] as const;

/** Drops sessions, codes and refresh tokens past their expiry; memory follows what is live. Called from a timer. */
export function evictExpiredAuthorization(view: <S>(p: Projection<S>) => S, nowSeconds: number): void {
  evictExpiredSessions(view(sessionsProjection), nowSeconds);
  evictExpiredLogoutSessions(view(backchannelLogoutsProjection), nowSeconds);
  evictExpiredCodes(view(authorizationCodesProjection), nowSeconds);
  evictExpiredRefreshTokens(view(refreshTokensProjection), nowSeconds);
}
