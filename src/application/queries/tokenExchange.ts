import {
  exchangedTokenByHash,
  grantHasDerivatives,
  hasDerivatives,
  idTokenByHash,
  tokenExchangeProjection,
  type KnownIdToken,
} from '../../../projections/tokenExchange.js';
import type { Act } from '../../domain/exchange/events.js';
import type { Views } from './views.js';

/**
 * An exchanged token whose chain ended (RFC 8693 tokens die with what they were exchanged for): the active-token
 * view still holds it, this says no. False for every token that was never exchanged.
 */
export function exchangeEnded(views: Views, tokenHash: string): boolean {
  return exchangedTokenByHash(views(tokenExchangeProjection), tokenHash)?.ended ?? false;
}

/** The `act` claim of an exchanged token (RFC 8693 §4.1), for introspection. */
const actOf = (views: Views, tokenHash: string): Act | undefined =>
  exchangedTokenByHash(views(tokenExchangeProjection), tokenHash)?.act;

const NO_ACT: { act?: Act } = Object.freeze({});

/** The introspection answer's `act`, when the token has one (nothing allocated when it has none). */
export function actClaim(views: Views, tokenHash: string): { act?: Act } {
  const act = actOf(views, tokenHash);
  return act ? { act } : NO_ACT;
}

/** An ID token we issued, its grant not revoked (a subject_token of type id_token). */
export const knownIdToken = (views: Views, tokenHash: string): KnownIdToken | undefined =>
  idTokenByHash(views(tokenExchangeProjection), tokenHash);

/** Whether revoking this token or grant ends exchanged tokens this instance knows of. */
export function revocationReachesExchanged(views: Views, of: { jti: string } | { grantId: string }): boolean {
  const v = views(tokenExchangeProjection);
  return 'jti' in of ? hasDerivatives(v, of.jti) : grantHasDerivatives(v, of.grantId);
}

/** The exchanged token with this hash (its chain, depth and act), or undefined for one never exchanged. */
export const exchangedTokenByHashOf = (views: Views, tokenHash: string) =>
  exchangedTokenByHash(views(tokenExchangeProjection), tokenHash);
