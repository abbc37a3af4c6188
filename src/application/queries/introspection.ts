import { activeTokensProjection, introspectedTokenByHash } from '../../../projections/activeTokens.js';
import { mayIntrospect } from '../../domain/clients/metadataRules.js';
import type { ClientState } from '../../domain/clients/state.js';
import { isClientDisabled } from './clients.js';
import { refreshTokenByHash } from './authorization.js';
import { isUserDisabled } from './users.js';
import { actClaim, exchangeEnded } from './tokenExchange.js';
import type { Views } from './views.js';

/** The RFC 7662 §2.2 answer: `{ active: false }` or the active token's claims. */
type IntrospectionAnswer = Readonly<Record<string, unknown>>;

/**
 * A disabled client's or user's tokens stop working with them (the views drop them as well; this also covers a token
 * minted while the disabling was being written).
 */
const holderDisabled = (views: Views, clientId: string, sub: string) =>
  isClientDisabled(views, clientId) || isUserDisabled(views, sub);

/**
 * RFC 7662 from this instance's views as they are now, for `caller`. A token is active only if its
 * hash is in a view: the ledger recorded it (so we issued it, whatever its signature claims), it was
 * not revoked, it has not expired, and its client and user are enabled. No signature check is needed
 * to say yes, and none could turn an unknown hash into a yes.
 *
 * A client whose introspection_access is own_and_audience learns of its own tokens and those
 * addressed to it (aud names one of its introspection_audiences) only: any other token is
 * `active: false` (§2.2 lets the server answer so when the caller may not know more).
 *
 * On every introspection request: synchronous, and it allocates only the answer it returns.
 */
export function introspect(
  views: Views,
  tokenHash: string,
  nowSeconds: number,
  caller: Pick<ClientState, 'clientId' | 'metadata'>,
  issuer: string,
): IntrospectionAnswer {
  const found = introspectedTokenByHash(views(activeTokensProjection), tokenHash, nowSeconds);
  if (
    found &&
    !holderDisabled(views, found.clientId, found.sub) &&
    !exchangeEnded(views, tokenHash) &&
    mayIntrospect(caller.metadata, caller.clientId, found.clientId, found.aud)
  ) {
    const answer: Record<string, unknown> = {
      active: true,
      scope: found.scope,
      client_id: found.clientId,
      sub: found.sub,
      aud: found.aud.length === 1 ? found.aud[0] : found.aud,
      iss: issuer,
      exp: found.exp,
      iat: found.iat,
      jti: found.jti,
      // RFC 9449 §6.2: a bound token's type, and (below) its key thumbprint.
      token_type: found.jkt === undefined ? 'Bearer' : 'DPoP',
      ...actClaim(views, tokenHash),
    };
    if (found.jkt !== undefined) answer.cnf = { jkt: found.jkt };
    return answer;
  }
  const refresh = refreshTokenByHash(views, tokenHash);
  const live =
    refresh &&
    refresh.status === 'active' &&
    refresh.exp > nowSeconds &&
    refresh.familyExp > nowSeconds &&
    !holderDisabled(views, refresh.clientId, refresh.sub);
  // A refresh token is for its client alone: it has no audience.
  if (live && mayIntrospect(caller.metadata, caller.clientId, refresh.clientId, NO_AUDIENCE)) {
    const answer: Record<string, unknown> = {
      active: true,
      scope: refresh.scope,
      client_id: refresh.clientId,
      sub: refresh.sub,
      iss: issuer,
      exp: Math.min(refresh.exp, refresh.familyExp),
      iat: refresh.iat,
      jti: refresh.jti,
      token_type: 'refresh_token',
    };
    // A public client's refresh token bound to its DPoP key (RFC 9449 §5).
    if (refresh.jkt !== undefined) answer.cnf = { jkt: refresh.jkt };
    return answer;
  }
  return INACTIVE;
}

const INACTIVE: IntrospectionAnswer = Object.freeze({ active: false });
const NO_AUDIENCE: readonly string[] = [];
