import {
  activeTokenByHash,
  activeTokensProjection,
  tokenByHash,
  type ActiveToken,
} from '../../../projections/activeTokens.js';
import { clientById } from './clients.js';
import type { Views } from './views.js';
import { exchangeEnded } from './tokenExchange.js';

/** The access token with this hash while the view holds it, expired or not (revocation answers for both). */
export const accessTokenByHash = (views: Views, tokenHash: string): ActiveToken | undefined =>
  tokenByHash(views(activeTokensProjection), tokenHash);

/**
 * The access token with this hash if it is active at `nowSeconds` for a bearer: issued by us, not
 * revoked, not expired, and its client still registered and enabled. The audience and the user are
 * the caller's to check (each endpoint answers those with its own error).
 */
export function activeAccessToken(views: Views, tokenHash: string, nowSeconds: number): ActiveToken | undefined {
  const token = activeTokenByHash(views(activeTokensProjection), tokenHash, nowSeconds);
  if (!token || exchangeEnded(views, tokenHash)) return undefined;
  const client = clientById(views, token.clientId);
  return client && !client.disabled ? token : undefined;
}
