import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { readGrant, type GrantTokens } from '../../../src/application/grantIssuance.js';
import { refreshTokenByHash } from '../../../src/application/queries/authorization.js';
import { activeAccessToken } from '../../../src/application/queries/tokens.js';
import { redeemAuthorizationCode } from '../../../src/application/redeemCode.js';
import { revokeGrant, revokeGrantToken } from '../../../src/application/revokeGrant.js';
import { rotateRefreshToken } from '../../../src/application/rotateRefreshToken.js';
import { sha256 } from '../../../src/crypto/hash.js';
import type { ClientState } from '../../../src/domain/clients/state.js';
import { GrantError } from '../../../src/domain/grants/decide.js';
import { grantStream } from '../../../src/domain/grants/streams.js';
import { userStream } from '../../../src/domain/users/streams.js';
import { memoryPorts, T0, type MemoryPorts } from '../../helpers/memoryPorts.js';
import { ctx, givenClient, givenCode, givenUser, refusedWithoutWrite, typed } from './fixtures.js';

const now = T0 / 1000;
let ports: MemoryPorts;
let client: ClientState;
let sub: string;
beforeEach(async () => {
  ports = await memoryPorts();
  client = await givenClient(ports);
  sub = await givenUser(ports);
});
afterEach(() => ports.close());

/** A grant whose code was redeemed for `openid read write`: its tokens. */
async function givenGrant(): Promise<GrantTokens> {
  const { code, grantId } = await givenCode(
    ports,
    client,
    { sub, authTime: now - 5, sid: 'sid-1' },
    { scope: 'openid read write', nonce: 'n-1' },
  );
  const issued = (await readGrant(ports, grantId)).code!;
  return redeemAuthorizationCode(
    ports,
    { grantId, code, client, redirectUri: undefined, codeVerifier: undefined, issued, resource: [] },
    ctx,
  );
}

const rotate = (refreshToken: string, scope?: string, by = client) => {
  const held = refreshTokenByHash(ports.views, sha256(refreshToken))!;
  return rotateRefreshToken(
    ports,
    { grantId: held.grantId, jti: held.jti, client: by, scope, held, resource: [] },
    ctx,
  );
};

describe('rotateRefreshToken', () => {
  it('rotates: the old token out, a new access, refresh and ID token (same login, no nonce) in', async () => {
    const grant = await givenGrant();
    const old = refreshTokenByHash(ports.views, sha256(grant.refreshToken!))!;
    ports.now = T0 + 60_000;
    const head = await ports.head();
    const next = await rotate(grant.refreshToken!, 'read');
    const written = ports.writtenAfter(head);
    assert.deepEqual(typed(written), ['RefreshTokenRotated', 'AccessTokenIssued', 'RefreshTokenIssued']);
    assert.ok(written.every((e) => e.stream === grantStream(grant.grant.grantId)));
    const successor = refreshTokenByHash(ports.views, sha256(next.refreshToken!))!;
    assert.deepEqual(written[0].data, { grantId: grant.grant.grantId, jti: old.jti, successorJti: successor.jti });
    assert.equal(refreshTokenByHash(ports.views, sha256(grant.refreshToken!))?.status, 'rotated');
    assert.equal(successor.status, 'active');
    assert.equal(successor.scope, 'openid read write', 'the refresh token keeps its scope (RFC 6749 §6)');
    assert.equal(successor.familyExp, old.familyExp, 'the family keeps its absolute expiry');
    assert.deepEqual([next.access.claims.scope, next.access.claims.grantType], ['read', 'refresh_token']);
    assert.equal(next.idToken, null, 'no openid in the narrowed scope: no ID token');
    const again = await rotate(next.refreshToken!);
    const id = decodeJwt(again.idToken!);
    assert.deepEqual([id.auth_time, id.sid, id.nonce], [now - 5, 'sid-1', undefined]);
    assert.deepEqual(again.grant, {
      grantId: grant.grant.grantId,
      sub,
      scope: 'openid read write',
      nonce: null,
      authTime: now - 5,
      sid: 'sid-1',
    });
  });

  it('a rotated-out token presented again: the grant is revoked (reuse written), invalid_grant', async () => {
    const grant = await givenGrant();
    const next = await rotate(grant.refreshToken!);
    const head = await ports.head();
    await assert.rejects(
      rotate(grant.refreshToken!),
      (e: unknown) => e instanceof GrantError && e.error === 'invalid_grant' && /already used/.test(e.message),
    );
    const written = ports.writtenAfter(head);
    assert.deepEqual(typed(written), ['RefreshTokenReuseDetected', 'GrantRevoked']);
    assert.deepEqual(written[1].data, { grantId: grant.grant.grantId, reason: 'refresh token reused' });
    assert.equal(refreshTokenByHash(ports.views, sha256(next.refreshToken!)), undefined, 'the successor died too');
    assert.equal(activeAccessToken(ports.views, sha256(next.access.token), now), undefined);
  });

  it('refuses a wider scope (invalid_scope), another client and an idle-expired token (invalid_grant), writing nothing', async () => {
    const grant = await givenGrant();
    await refusedWithoutWrite(ports, () => rotate(grant.refreshToken!, 'read admin'), {
      class: GrantError,
      error: 'invalid_scope',
      message: /may only narrow on refresh: admin/,
    });
    const other = await givenClient(ports, 'other');
    await refusedWithoutWrite(ports, () => rotate(grant.refreshToken!, undefined, other), {
      class: GrantError,
      error: 'invalid_grant',
      message: /issued to another client/,
    });
    ports.now = T0 + ports.config.refreshTokenIdleSeconds * 1000;
    await refusedWithoutWrite(ports, () => rotate(grant.refreshToken!), {
      class: GrantError,
      error: 'invalid_grant',
      message: /expired/,
    });
  });

  it('refuses a disabled user: invalid_grant, nothing written', async () => {
    const grant = await givenGrant();
    // The token as the endpoint found it a moment before the user was disabled.
    const held = refreshTokenByHash(ports.views, sha256(grant.refreshToken!))!;
    await ports.given(userStream(sub), [{ type: 'UserDisabled', data: { sub } }]);
    await refusedWithoutWrite(
      ports,
      () =>
        rotateRefreshToken(
          ports,
          { grantId: held.grantId, jti: held.jti, client, scope: undefined, held, resource: [] },
          ctx,
        ),
      { class: GrantError, error: 'invalid_grant', message: /the user is disabled/ },
    );
  });
});

describe('revokeGrant and revokeGrantToken', () => {
  it('revokes a grant once: GrantRevoked, its tokens leave the views; again: false, nothing written', async () => {
    const grant = await givenGrant();
    const held = refreshTokenByHash(ports.views, sha256(grant.refreshToken!))!;
    const head = await ports.head();
    assert.equal(await revokeGrant(ports, grant.grant.grantId, 'operator said so', ctx), true);
    assert.deepEqual(
      ports.writtenAfter(head).map((e) => [e.type, e.stream, e.data]),
      [
        [
          'GrantRevoked',
          grantStream(grant.grant.grantId),
          { grantId: grant.grant.grantId, reason: 'operator said so' },
        ],
      ],
    );
    assert.equal(activeAccessToken(ports.views, sha256(grant.access.token), now), undefined);
    assert.equal(refreshTokenByHash(ports.views, sha256(grant.refreshToken!)), undefined);
    const after = await ports.head();
    assert.equal(await revokeGrant(ports, grant.grant.grantId, 'again', ctx), false);
    assert.equal(await revokeGrant(ports, '01900000-0000-7000-8000-0000000000ff', 'unknown', ctx), false);
    assert.equal(await ports.head(), after);
    const refresh = { grantId: held.grantId, jti: held.jti, client, scope: undefined, held, resource: [] };
    await refusedWithoutWrite(ports, () => rotateRefreshToken(ports, refresh, ctx), {
      class: GrantError,
      error: 'invalid_grant',
      message: /the refresh token was revoked/,
    });
  });

  it("revokes one access token (TokenRevoked), a refresh token takes the grant; another client's: false", async () => {
    const grant = await givenGrant();
    const refresh = refreshTokenByHash(ports.views, sha256(grant.refreshToken!))!;
    const head = await ports.head();
    assert.equal(await revokeGrantToken(ports, grant.grant.grantId, grant.access.claims.jti, 'other', 'x', ctx), false);
    assert.equal(await revokeGrantToken(ports, grant.grant.grantId, refresh.jti, 'other', 'x', ctx), false);
    assert.equal(await ports.head(), head, "another client's revocation writes nothing");
    assert.equal(await revokeGrantToken(ports, grant.grant.grantId, grant.access.claims.jti, 'app', 'x', ctx), true);
    assert.deepEqual(ports.writtenAfter(head)[0].data, {
      jti: grant.access.claims.jti,
      tokenHash: grant.access.claims.tokenHash,
      kind: 'access_token',
      reason: 'x',
    });
    assert.ok(refreshTokenByHash(ports.views, sha256(grant.refreshToken!)), 'the refresh token lives on');
    assert.equal(await revokeGrantToken(ports, grant.grant.grantId, refresh.jti, null, 'y', ctx), true);
    assert.deepEqual(typed(ports.writtenAfter(head)), ['TokenRevoked', 'GrantRevoked']);
  });
});
