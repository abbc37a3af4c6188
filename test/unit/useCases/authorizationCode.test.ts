import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { jwtVerify } from 'jose';
import { readGrant } from '../../../src/application/grantIssuance.js';
import { issueAuthorizationCode } from '../../../src/application/issueAuthorizationCode.js';
import { codeByHash, refreshTokenByHash } from '../../../src/application/queries/authorization.js';
import { activeAccessToken } from '../../../src/application/queries/tokens.js';
import { redeemAuthorizationCode } from '../../../src/application/redeemCode.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { GrantError } from '../../../src/domain/grants/decide.js';
import type { CodeIssuedEvent } from '../../../src/domain/grants/events.js';
import { grantStream } from '../../../src/domain/grants/streams.js';
import type { ClientState } from '../../../src/domain/clients/state.js';
import { userStream } from '../../../src/domain/users/streams.js';
import { ISSUER, memoryPorts, T0, testKey, type MemoryPorts } from '../../helpers/memoryPorts.js';
import { ctx, givenClient, givenUser, refusedWithoutWrite, typed } from './fixtures.js';

const now = T0 / 1000;
const verifier = 'a-code-verifier-of-at-least-forty-three-characters-long';
const challenge = createHash('sha256').update(verifier).digest('base64url');
const redirectUri = 'https://app.example/cb';

let ports: MemoryPorts;
let client: ClientState;
let sub: string;
beforeEach(async () => {
  ports = await memoryPorts();
  client = await givenClient(ports);
  sub = await givenUser(ports);
});
afterEach(() => ports.close());

/** A code issued a moment ago for `openid read` with PKCE, as the authorization endpoint issues it. */
async function givenCode(scope = 'openid read', resource: string[] = []) {
  const code = await issueAuthorizationCode(
    ports,
    {
      client,
      request: { redirectUri, redirectUriSent: true, scope, resource, codeChallenge: challenge, nonce: 'n-0S6' },
      login: { sub, authTime: now - 5, sid: null, amr: ['pwd'] },
    },
    ctx,
  );
  const { grantId } = codeByHash(ports.views, sha256(code))!;
  const issued = (await readGrant(ports, grantId)).code!;
  return { code, grantId, issued };
}

const redeem = (
  given: { code: string; grantId: string; issued: CodeIssuedEvent['data'] },
  changes: Partial<Parameters<typeof redeemAuthorizationCode>[1]> = {},
) =>
  redeemAuthorizationCode(
    ports,
    { ...given, client, redirectUri, codeVerifier: verifier, resource: [], ...changes },
    { ...ctx, actor: client.clientId },
  );

describe('issueAuthorizationCode', () => {
  it('starts a grant with AuthorizationCodeIssued: the code by hash, 60 s, the request as given', async () => {
    const head = await ports.head();
    const { code, grantId } = await givenCode();
    const written = ports.writtenAfter(head);
    assert.deepEqual(typed(written), ['AuthorizationCodeIssued']);
    assert.equal(written[0].stream, grantStream(grantId));
    assert.match(code, /^tlac_[A-Za-z0-9_-]{43}$/);
    assert.ok(!JSON.stringify(written.map((e) => e.data)).includes(code), 'the code in clear is not in the ledger');
    assert.deepEqual(written[0].data, {
      grantId,
      codeHash: sha256(code),
      clientId: 'app',
      sub,
      redirectUri,
      redirectUriSent: true,
      scope: 'openid read',
      resource: [],
      codeChallenge: challenge,
      nonce: 'n-0S6',
      authTime: now - 5,
      sid: null,
      exp: now + 60,
      amr: ['pwd'],
    });
  });
});

describe('redeemAuthorizationCode', () => {
  it('redeems once: the code, then access, refresh and ID token, each by hash; the views hold them', async () => {
    const given = await givenCode();
    const head = await ports.head();
    const tokens = await redeem(given);
    const written = ports.writtenAfter(head);
    assert.deepEqual(typed(written), [
      'AuthorizationCodeRedeemed',
      'AccessTokenIssued',
      'RefreshTokenIssued',
      'IdTokenIssued',
    ]);
    assert.ok(written.every((e) => e.stream === grantStream(given.grantId) && e.metadata.actor === 'app'));
    assert.deepEqual(written[0].data, { grantId: given.grantId, codeHash: sha256(given.code) });
    assert.deepEqual(written[1].data, tokens.access.claims);
    assert.equal(tokens.access.claims.grantType, 'authorization_code');
    assert.deepEqual(tokens.access.claims.aud, [ISSUER], 'no resource indicators: the issuer');
    const refresh = written[2].data as { tokenHash: string; exp: number; familyExp: number };
    assert.equal(refresh.tokenHash, sha256(tokens.refreshToken!));
    assert.equal(refresh.familyExp, now + ports.config.refreshTokenAbsoluteSeconds);
    assert.equal(refresh.exp, Math.min(now + ports.config.refreshTokenIdleSeconds, refresh.familyExp));
    const { payload } = await jwtVerify(tokens.idToken!, testKey('RS256').publicKey, {
      issuer: ISSUER,
      audience: 'app',
      currentDate: new Date(T0),
    });
    assert.deepEqual(
      [payload.sub, payload.nonce, payload.auth_time, payload.amr, payload.iat],
      [sub, 'n-0S6', now - 5, ['pwd'], now],
    );
    assert.equal((written[3].data as { tokenHash: string }).tokenHash, sha256(tokens.idToken!));
    assert.deepEqual(tokens.grant, {
      grantId: given.grantId,
      sub,
      scope: 'openid read',
      nonce: 'n-0S6',
      authTime: now - 5,
      sid: null,
    });
    assert.ok(activeAccessToken(ports.views, sha256(tokens.access.token), now));
    assert.equal(refreshTokenByHash(ports.views, sha256(tokens.refreshToken!))?.status, 'active');
  });

  it('mints no refresh token for a client without refresh_token, and no ID token without openid', async () => {
    client = await givenClient(ports, 'plain', { grant_types: ['authorization_code'] });
    const tokens = await redeem(await givenCode('read'));
    assert.deepEqual([tokens.refreshToken, tokens.idToken], [null, null]);
  });

  it('a code used twice: the grant is revoked (reuse written), the request is invalid_grant', async () => {
    const given = await givenCode();
    const first = await redeem(given);
    const head = await ports.head();
    await assert.rejects(
      redeem(given),
      (e: unknown) => e instanceof GrantError && e.error === 'invalid_grant' && /already used/.test(e.message),
    );
    const written = ports.writtenAfter(head);
    assert.deepEqual(
      written.map((e) => [e.type, e.data]),
      [
        ['AuthorizationCodeReuseDetected', { grantId: given.grantId, codeHash: sha256(given.code) }],
        ['GrantRevoked', { grantId: given.grantId, reason: 'authorization code reused' }],
      ],
    );
    assert.equal(activeAccessToken(ports.views, sha256(first.access.token), now), undefined, 'its tokens died');
    assert.equal(refreshTokenByHash(ports.views, sha256(first.refreshToken!)), undefined);
    await refusedWithoutWrite(ports, () => redeem(given), {
      class: GrantError,
      error: 'invalid_grant',
      message: /the code was already used/,
    });
  });

  for (const [name, changes, message] of [
    ['a wrong code_verifier (PKCE)', { codeVerifier: `${verifier}x` }, /code_verifier does not match/],
    ['a missing code_verifier', { codeVerifier: undefined }, /code_verifier is missing/],
    ['another redirect_uri', { redirectUri: 'https://app.example/other' }, /redirect_uri does not match/],
    ['a missing redirect_uri', { redirectUri: undefined }, /redirect_uri is missing/],
    ['a wrong code', { code: 'tlac_wrong' }, /the code is invalid/],
  ] as const) {
    it(`refuses ${name}: invalid_grant, nothing written, the code still redeemable`, async () => {
      const given = await givenCode();
      await refusedWithoutWrite(ports, () => redeem(given, changes), {
        class: GrantError,
        error: 'invalid_grant',
        message,
      });
      assert.ok((await redeem(given)).access.token);
    });
  }

  it('refuses a code presented by another client, and one past its 60 s: invalid_grant, nothing written', async () => {
    const given = await givenCode();
    const other = await givenClient(ports, 'other');
    await refusedWithoutWrite(ports, () => redeem(given, { client: other }), {
      class: GrantError,
      error: 'invalid_grant',
      message: /issued to another client/,
    });
    ports.now = T0 + 60_000;
    await refusedWithoutWrite(ports, () => redeem(given), {
      class: GrantError,
      error: 'invalid_grant',
      message: /expired/,
    });
  });

  it('refuses a resource outside the authorization request: invalid_target, nothing written', async () => {
    const given = await givenCode('read', ['https://api.example']);
    await refusedWithoutWrite(ports, () => redeem(given, { resource: ['https://evil.example'] }), {
      class: GrantError,
      error: 'invalid_target',
    });
    const tokens = await redeem(given, { resource: ['https://api.example'] });
    assert.deepEqual(tokens.access.claims.aud, ['https://api.example']);
  });

  it('refuses a disabled user: invalid_grant, nothing written', async () => {
    const given = await givenCode();
    await ports.given(userStream(sub), [{ type: 'UserDisabled', data: { sub } }]);
    await refusedWithoutWrite(ports, () => redeem(given), {
      class: GrantError,
      error: 'invalid_grant',
      message: /the user is disabled/,
    });
  });

  it('a user signed out everywhere while the code was redeemed: the grant is revoked, invalid_grant', async () => {
    const given = await givenCode();
    // Another request's UserSessionsRevoked lands between this one's check of the user and its append.
    const append = ports.ledger.append.bind(ports.ledger);
    ports.ledger.append = async (stream, events, expected, c) => {
      if (stream === grantStream(given.grantId))
        await append(userStream(sub), [{ type: 'UserSessionsRevoked', data: { sub } }], 'any', c);
      ports.ledger.append = append;
      return append(stream, events, expected, c);
    };
    const head = await ports.head();
    await assert.rejects(
      redeem(given),
      (e: unknown) => e instanceof GrantError && e.error === 'invalid_grant' && /signed out everywhere/.test(e.message),
    );
    const written = ports.writtenAfter(head);
    assert.deepEqual(typed(written).slice(0, 2), ['UserSessionsRevoked', 'AuthorizationCodeRedeemed']);
    assert.deepEqual(written.at(-1)?.data, {
      grantId: given.grantId,
      reason: 'the user was signed out everywhere during this request',
    });
  });
});
