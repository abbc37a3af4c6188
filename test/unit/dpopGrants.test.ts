import { describe, it } from 'node:test';
import { decideGrant, GrantError, type GrantCommand } from '../../src/domain/grants/decide.js';
import { evolveGrant, type GrantEvent } from '../../src/domain/grants/evolve.js';
import { initialGrant } from '../../src/domain/grants/state.js';
import { deciderSpec } from '../helpers/deciderSpec.js';

const h = (c: string) => c.repeat(43).slice(0, 43);
const KEY = h('k');
const OTHER = h('o');
const codeData = {
  grantId: 'g',
  codeHash: h('c'),
  clientId: 'app',
  sub: 'u',
  redirectUri: 'https://a.example/cb',
  scope: 's',
  resource: [],
  codeChallenge: null,
  nonce: null,
  authTime: 100,
  sid: null,
  exp: 160,
};
const access = (jkt?: string) => ({
  jti: 'a1',
  tokenHash: h('a'),
  format: 'jwt' as const,
  clientId: 'app',
  sub: 'u',
  scope: 's',
  aud: ['x'],
  iat: 100,
  exp: 200,
  grantType: 'authorization_code',
  kid: 'k',
  grantId: 'g',
  ...(jkt ? { jkt } : {}),
});
const refreshData = (jti: string, jkt?: string) => ({
  grantId: 'g',
  jti,
  tokenHash: h(jti),
  clientId: 'app',
  sub: 'u',
  scope: 's',
  iat: 100,
  exp: 1000,
  familyExp: 2000,
  ...(jkt ? { jkt } : {}),
});
const redeem = (jkt?: string): GrantCommand => ({
  type: 'RedeemCode',
  codeHash: h('c'),
  clientId: 'app',
  redirectUri: 'https://a.example/cb',
  verifierChallenge: null,
  now: 120,
  access: access(jkt),
  refresh: null,
});
/** A rotation whose access token is bound to `jkt`; its new refresh token keeps `refreshJkt` (the held one's). */
const rotate = (jkt: string | undefined, refreshJkt: string | undefined): GrantCommand => ({
  type: 'Refresh',
  jti: 'r1',
  clientId: 'app',
  scope: undefined,
  now: 300,
  access: { ...access(jkt), jti: 'a2', tokenHash: h('b') },
  refresh: refreshData('r2', refreshJkt),
});
const { given } = deciderSpec({ initialState: initialGrant, evolve: evolveGrant, decide: decideGrant });
const invalidGrant = (why: RegExp) => (e: unknown) =>
  e instanceof GrantError && e.code === 'invalid_grant' && why.test(e.message);

describe('grant decider: DPoP bindings (RFC 9449)', () => {
  const issued = (dpopJkt?: string): GrantEvent => ({
    type: 'AuthorizationCodeIssued',
    data: { ...codeData, ...(dpopJkt ? { dpopJkt } : {}) },
  });

  it('a code issued with dpop_jkt is redeemed only with an access token bound to that key (§10)', () => {
    const g = given([issued(KEY)]);
    g.when(redeem()).thenThrows(invalidGrant(/DPoP proof is required/));
    g.when(redeem(OTHER)).thenThrows(invalidGrant(/does not match dpop_jkt/));
    g.when(redeem(KEY)).then([
      { type: 'AuthorizationCodeRedeemed', data: { grantId: 'g', codeHash: h('c') } },
      { type: 'AccessTokenIssued', data: access(KEY) },
    ]);
  });

  it('a code without dpop_jkt is redeemed with or without a proof', () => {
    given([issued()])
      .when(redeem(OTHER))
      .then([
        { type: 'AuthorizationCodeRedeemed', data: { grantId: 'g', codeHash: h('c') } },
        { type: 'AccessTokenIssued', data: access(OTHER) },
      ]);
  });

  it('a bound refresh token rotates only with a proof of its key (§5); an unbound one with or without', () => {
    const history = (jkt?: string): GrantEvent[] => [
      issued(),
      { type: 'AuthorizationCodeRedeemed', data: { grantId: 'g', codeHash: h('c') } },
      { type: 'RefreshTokenIssued', data: refreshData('r1', jkt) },
    ];
    const bound = given(history(KEY));
    bound.when(rotate(undefined, KEY)).thenThrows(invalidGrant(/DPoP-bound/));
    bound.when(rotate(OTHER, KEY)).thenThrows(invalidGrant(/DPoP-bound/));
    bound.when(rotate(KEY, KEY)).then([
      { type: 'RefreshTokenRotated', data: { grantId: 'g', jti: 'r1', successorJti: 'r2' } },
      { type: 'AccessTokenIssued', data: { ...access(KEY), jti: 'a2', tokenHash: h('b') } },
      { type: 'RefreshTokenIssued', data: refreshData('r2', KEY) },
    ]);
    given(history())
      .when(rotate(OTHER, undefined))
      .then([
        { type: 'RefreshTokenRotated', data: { grantId: 'g', jti: 'r1', successorJti: 'r2' } },
        { type: 'AccessTokenIssued', data: { ...access(OTHER), jti: 'a2', tokenHash: h('b') } },
        { type: 'RefreshTokenIssued', data: refreshData('r2') },
      ]);
  });
});
