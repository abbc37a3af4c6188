import type { Act, DerivedFrom } from '../domain/exchange/events.js';

/** What an exchanged access token adds to its claims (RFC 8693 §4.1) and to its AccessTokenIssued. */
export interface TokenExchangeClaims {
  derivedFrom: DerivedFrom;
  act?: Act;
  /** The subject token's exp (epoch s): the new token never outlives it. */
  notAfter: number;
}

export const exchangeClaims = (x: TokenExchangeClaims | undefined) =>
  x ? { derivedFrom: x.derivedFrom, ...(x.act ? { act: x.act } : {}) } : {};
