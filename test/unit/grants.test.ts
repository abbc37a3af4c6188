import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideGrant, GrantError, type GrantCommand } from '../../src/domain/grants/decide.js';
import { evolveGrant, type GrantEvent } from '../../src/domain/grants/evolve.js';
import { initialGrant } from '../../src/domain/grants/state.js';
import { deciderSpec } from '../helpers/deciderSpec.js';

const h = (c: string) => c.repeat(43).slice(0, 43);
const code: GrantEvent = {
  type: 'AuthorizationCodeIssued',
  data: {
    grantId: 'g',
    codeHash: h('c'),
    clientId: 'app',
    sub: 'u',
    redirectUri: 'https://a.example/cb',
    scope: 's',
    resource: [],
    codeChallenge: h('x'),
    nonce: null,
    authTime: 100,
    sid: null,
    exp: 160,
  },
};
const access = {
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
};
const refresh = {
  grantId: 'g',
  jti: 'r1',
  tokenHash: h('r'),
  clientId: 'app',
  sub: 'u',
  scope: 's',
  iat: 100,
  exp: 1000,
  familyExp: 2000,
};
const redeem = (over: Partial<Extract<GrantCommand, { type: 'RedeemCode' }>> = {}): GrantCommand => ({
  type: 'RedeemCode',
  codeHash: h('c'),
  clientId: 'app',
  redirectUri: 'https://a.example/cb',
  verifierChallenge: h('x'),
  now: 120,
  access,
  refresh,
  ...over,
});
const { given } = deciderSpec({ initialState: initialGrant, evolve: evolveGrant, decide: decideGrant });
const refusal = (code: string, why: RegExp) => (e: unknown) =>
  e instanceof GrantError && e.code === code && why.test(e.message);

describe('grant decider', () => {
  it('redeems a code once: code redeemed, access and refresh token issued', () => {
    assert.deepEqual(
      given([code])
        .when(redeem())
        .events()
        .map((e) => e.type),
      ['AuthorizationCodeRedeemed', 'AccessTokenIssued', 'RefreshTokenIssued'],
    );
  });
  it('refuses an expired code (60 s), a wrong client, a wrong redirect_uri, a wrong or missing verifier', () => {
    const g = given([code]);
    g.when(redeem({ now: 160 })).thenThrows(refusal('invalid_grant', /expired/));
    g.when(redeem({ clientId: 'other' })).thenThrows(refusal('invalid_grant', /another client/));
    g.when(redeem({ redirectUri: 'https://a.example/cb2' })).thenThrows(refusal('invalid_grant', /redirect_uri/));
    g.when(redeem({ verifierChallenge: h('y') })).thenThrows(refusal('invalid_grant', /does not match/));
    g.when(redeem({ verifierChallenge: null })).thenThrows(refusal('invalid_grant', /missing/));
  });
  it('refuses a verifier when the request had no challenge', () => {
    const noPkce: GrantEvent = {
      type: 'AuthorizationCodeIssued',
      data: { ...(code.data as object), codeChallenge: null } as never,
    };
    given([noPkce])
      .when(redeem())
      .thenThrows(refusal('invalid_grant', /no code_challenge/));
  });
  it('answers a second redemption with reuse detection and a revoked grant, once', () => {
    const redeemed = given([code]).when(redeem()).events();
    const events = given([code, ...redeemed])
      .when(redeem())
      .events();
    assert.deepEqual(
      events.map((e) => e.type),
      ['AuthorizationCodeReuseDetected', 'GrantRevoked'],
    );
    given([code, ...redeemed, ...events])
      .when(redeem())
      .thenThrows(refusal('invalid_grant', /already used/));
  });
  it('rotates a refresh token, narrows scope only, and kills the grant when a rotated one returns', () => {
    const history = [code, ...given([code]).when(redeem()).events()];
    const next = { ...refresh, jti: 'r2', tokenHash: h('q') };
    const cmd: GrantCommand = {
      type: 'Refresh',
      jti: 'r1',
      clientId: 'app',
      scope: undefined,
      now: 130,
      access: { ...access, jti: 'a2' },
      refresh: next,
    };
    const rotated = given(history).when(cmd).events();
    assert.deepEqual(
      rotated.map((e) => e.type),
      ['RefreshTokenRotated', 'AccessTokenIssued', 'RefreshTokenIssued'],
    );
    given(history)
      .when({ ...cmd, scope: 's more' })
      .thenThrows(refusal('invalid_scope', /narrow/));
    given(history)
      .when({ ...cmd, now: 1000 })
      .thenThrows(refusal('invalid_grant', /expired/));
    const reuse = given([...history, ...rotated])
      .when(cmd)
      .events();
    assert.deepEqual(
      reuse.map((e) => e.type),
      ['RefreshTokenReuseDetected', 'GrantRevoked'],
    );
  });
  it('writes a refresh ID token after the rotation, and none when the rotation is refused or a reuse', () => {
    const history = [code, ...given([code]).when(redeem()).events()];
    const idToken = {
      grantId: 'g',
      jti: 'i2',
      tokenHash: h('i'),
      clientId: 'app',
      sub: 'u',
      iat: 130,
      exp: 3730,
      authTime: 100,
      nonce: null,
      sid: null,
      kid: 'k',
    };
    const cmd: GrantCommand = {
      type: 'Refresh',
      jti: 'r1',
      clientId: 'app',
      scope: undefined,
      now: 130,
      access: { ...access, jti: 'a2' },
      refresh: { ...refresh, jti: 'r2', tokenHash: h('q') },
      idToken,
    };
    const rotated = given(history).when(cmd).events();
    assert.deepEqual(
      rotated.map((e) => e.type),
      ['RefreshTokenRotated', 'AccessTokenIssued', 'RefreshTokenIssued', 'IdTokenIssued'],
    );
    assert.deepEqual(rotated[3].data, idToken);
    given(history)
      .when({ ...cmd, clientId: 'other' })
      .thenThrows(refusal('invalid_grant', /another client/));
    const reuse = given([...history, ...rotated])
      .when(cmd)
      .events();
    assert.deepEqual(
      reuse.map((e) => e.type),
      ['RefreshTokenReuseDetected', 'GrantRevoked'],
    );
  });
  it('revoking a refresh token revokes the grant; an access token only itself; another client nothing', () => {
    const history = [code, ...given([code]).when(redeem()).events()];
    assert.deepEqual(
      given(history)
        .when({ type: 'RevokeToken', jti: 'r1', clientId: 'app', reason: 'r' })
        .events()
        .map((e) => e.type),
      ['GrantRevoked'],
    );
    assert.deepEqual(
      given(history)
        .when({ type: 'RevokeToken', jti: 'a1', clientId: 'app', reason: 'r' })
        .events()
        .map((e) => e.type),
      ['TokenRevoked'],
    );
    given(history).when({ type: 'RevokeToken', jti: 'a1', clientId: 'other', reason: 'r' }).then([]);
  });
});
