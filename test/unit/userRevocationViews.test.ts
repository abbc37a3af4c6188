import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { v7 as uuidv7 } from 'uuid';
import { activeTokensProjection, tokenByHash, type ActiveTokensView } from '../../projections/activeTokens.js';
import { evictExpiredAuthorization } from '../../projections/authorization.js';
import { authorizationCodesProjection } from '../../projections/authorizationCodes.js';
import { backchannelLogoutsProjection } from '../../projections/backchannelLogouts.js';
import { refreshTokensProjection } from '../../projections/refreshTokens.js';
import { sessionsProjection } from '../../projections/sessions.js';
import { statusListBytes, statusListsProjection, type StatusListsView } from '../../projections/statusLists.js';
import type { Projection } from '../../projections/projection.js';
import type { RecordedEvent } from '../../src/eventsourcing/eventStore.js';
import { recorded } from '../helpers/views.js';
import { sha256 } from '../../src/crypto/hash.js';

/**
 * UserDisabled and UserSessionsRevoked are facts every view applies on its own: given a user's
 * sessions, codes and tokens, when the event arrives, then none of them is usable any more — with
 * no GrantRevoked or SessionEnded written after it.
 */
const alice = '01900000-0000-7000-8000-00000000a11c';
const bob = '01900000-0000-7000-8000-000000000b0b';
const feed = <S>(p: Projection<S>, events: RecordedEvent[], state = p.initialState()): S =>
  events.reduce((s, e) => (p.on[e.type] ? p.on[e.type](s, e) : s), state);

function holdings(sub: string, n: number) {
  const grantId = uuidv7();
  const access = `at-${sub}-${n}`;
  const refresh = `rt-${sub}-${n}`;
  const code = `code-${sub}-${n}`;
  const sid = sha256(`sid-${sub}-${n}`);
  const events = [
    recorded('ClientRegistered', {
      clientId: 'rp',
      metadata: { backchannel_logout_uri: 'https://rp.example/bc' },
      secret: null,
    }),
    recorded('SessionStarted', { sidHash: sid, sub, authTime: 1000, amr: ['pwd'], exp: 9_999_999 }),
    recorded('AuthorizationCodeIssued', {
      grantId,
      codeHash: sha256(code),
      clientId: 'rp',
      sub,
      redirectUri: 'https://rp.example/cb',
      redirectUriSent: true,
      scope: 'openid',
      resource: [],
      codeChallenge: null,
      nonce: null,
      authTime: 1000,
      sid,
      exp: 1060,
    }),
    recorded('AccessTokenIssued', {
      jti: uuidv7(),
      tokenHash: sha256(access),
      format: 'jwt',
      clientId: 'rp',
      sub,
      scope: 'openid',
      aud: ['x'],
      iat: 1000,
      exp: 99_999,
      grantType: 'authorization_code',
      kid: 'k',
      grantId,
      statusList: { id: 'L', idx: n },
    }),
    recorded('RefreshTokenIssued', {
      grantId,
      jti: uuidv7(),
      tokenHash: sha256(refresh),
      clientId: 'rp',
      sub,
      scope: 'openid',
      iat: 1000,
      familyExp: 200_000,
      exp: 100_000,
    }),
  ];
  return { events, grantId, access: sha256(access), refresh: sha256(refresh), code: sha256(code), sid, idx: n };
}

/** A client_credentials token of a client whose id happens to be a user's sub: it is the client's, not the user's. */
const clientToken = (clientId: string, idx: number) =>
  recorded('AccessTokenIssued', {
    jti: uuidv7(),
    tokenHash: sha256(`cc-${idx}`),
    format: 'jwt',
    clientId,
    sub: clientId,
    scope: '',
    aud: ['x'],
    iat: 1000,
    exp: 99_999,
    grantType: 'client_credentials',
    kid: 'k',
    grantId: null,
    statusList: { id: 'L', idx },
  });

for (const type of ['UserDisabled', 'UserSessionsRevoked']) {
  describe(`given a user's sessions, codes and tokens, when ${type}`, () => {
    const a = holdings(alice, 1);
    const b = holdings(bob, 2);
    const history = [...a.events, ...b.events, clientToken(alice, 3)];
    const ended = recorded(type, { sub: alice }, 2_000_000);

    it('then the sessions end, owing a back-channel logout to each client, and the codes and refresh tokens are gone', () => {
      const logoutsBefore = feed(backchannelLogoutsProjection, history);
      assert.equal(logoutsBefore.sessions.get(a.sid)?.clients.has('rp'), true);
      const sessions = feed(sessionsProjection, [...history, ended]);
      const codes = feed(authorizationCodesProjection, [...history, ended]);
      const refresh = feed(refreshTokensProjection, [...history, ended]);
      const logouts = feed(backchannelLogoutsProjection, [ended], logoutsBefore);
      assert.equal(sessions.byHash.has(a.sid), false);
      assert.equal(codes.byHash.has(a.code), false);
      assert.equal(refresh.byHash.has(a.refresh), false);
      const owed = logouts.pending.get(`${a.sid}\0rp`);
      assert.deepEqual([owed?.sub, owed?.attempts, owed?.nextAttemptAt], [alice, 0, 2_000_000]);
      assert.equal(
        sessions.bySub.has(alice) ||
          codes.bySub.has(alice) ||
          refresh.grantsBySub.has(alice) ||
          logouts.sessionsBySub.has(alice) ||
          logouts.sessions.has(a.sid),
        false,
        'nothing of the user is indexed any more',
      );
      assert.ok(
        sessions.byHash.has(b.sid) && codes.byHash.has(b.code) && refresh.byHash.has(b.refresh),
        'another user keeps everything',
      );
      assert.equal(logouts.pending.size, 1);
      // The SessionEnded record written after it owes nothing twice.
      const after = feed(
        backchannelLogoutsProjection,
        [recorded('SessionEnded', { sidHash: a.sid, reason: 'user disabled' })],
        logouts,
      );
      assert.equal(after.pending.size, 1);
    });

    it("then the user's access tokens leave the active view; the other user's and a client's token stay", () => {
      const v: ActiveTokensView = feed(activeTokensProjection, [...history, ended]);
      assert.equal(tokenByHash(v, a.access), undefined);
      assert.ok(tokenByHash(v, b.access));
      assert.ok(
        tokenByHash(v, sha256('cc-3')),
        'a client_credentials token whose subject string equals the sub is no user token',
      );
      assert.equal(v.size, 2);
    });

    it("then the user's status-list bits are set, and no one else's", () => {
      const v: StatusListsView = feed(statusListsProjection, [...history, ended]);
      const bits = statusListBytes(v, 'L')!;
      assert.deepEqual(
        [1, 2, 3].map((i) => (bits[i >> 3] >> (i & 7)) & 1),
        [1, 0, 0],
      );
      assert.equal(v.bySub.has(alice), false);
    });
  });
}

describe('the authorization views forget their per-user indexes with what they index', () => {
  it('drop a session from the indexes when it ends or expires, a code a day past its expiry, a refresh grant with its family', () => {
    const a = holdings(alice, 1);
    const all = [
      sessionsProjection,
      authorizationCodesProjection,
      refreshTokensProjection,
      backchannelLogoutsProjection,
    ];
    const states = new Map<string, unknown>(all.map((p) => [p.name, feed(p as Projection<unknown>, a.events)]));
    const view = <S>(p: Projection<S>): S => states.get(p.name) as S;
    assert.deepEqual([...view(sessionsProjection).bySub.get(alice)!], [a.sid]);
    assert.deepEqual([...view(refreshTokensProjection).grantsBySub.get(alice)!], [a.grantId]);
    for (const p of [sessionsProjection, backchannelLogoutsProjection] as Projection<unknown>[])
      feed(p, [recorded('SessionEnded', { sidHash: a.sid, reason: 'logout' })], view(p));
    assert.equal(view(sessionsProjection).bySub.has(alice), false);
    assert.equal(view(backchannelLogoutsProjection).sessionsBySub.has(alice), false);
    evictExpiredAuthorization(view, 1060 + 86_399);
    assert.ok(view(authorizationCodesProjection).bySub.has(alice), 'a used code is remembered for a day');
    evictExpiredAuthorization(view, 1060 + 86_400);
    assert.equal(view(authorizationCodesProjection).bySub.has(alice), false);
    evictExpiredAuthorization(view, 199_999);
    assert.ok(view(refreshTokensProjection).grantsBySub.has(alice));
    evictExpiredAuthorization(view, 200_000);
    assert.equal(view(refreshTokensProjection).grantsBySub.has(alice), false, 'the refresh family is past');
    const b = holdings(bob, 2);
    for (const p of all as Projection<unknown>[]) feed(p, b.events, view(p));
    evictExpiredAuthorization(view, 10_000_000);
    assert.equal(view(sessionsProjection).bySub.has(bob), false, 'an expired session leaves the index');
    assert.equal(view(backchannelLogoutsProjection).sessionsBySub.has(bob), false);
  });
});
