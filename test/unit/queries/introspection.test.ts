import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { v7 as uuidv7 } from 'uuid';
import { introspect } from '../../../src/application/queries/introspection.js';
import { accessTokenByHash, activeAccessToken } from '../../../src/application/queries/tokens.js';
import type { ClientMetadata } from '../../../src/domain/clients/events.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { recorded, viewsFrom } from '../../helpers/views.js';

const ISSUER = 'https://as.example';
const NOW = 50_000;
const alice = uuidv7();

const client = (clientId: string, metadata: Partial<ClientMetadata> = {}) =>
  recorded('ClientRegistered', {
    clientId,
    metadata: {
      redirect_uris: ['https://rp.example/cb'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...metadata,
    },
    secret: null,
  });
const user = (sub: string) =>
  recorded('UserRegistered', {
    sub,
    username: `u${sub.slice(-6)}`,
    emailVerified: false,
    passwordHash: { alg: 'scrypt', salt: 's'.repeat(22), hash: 'h'.repeat(43), N: 1024, r: 8, p: 1 },
  });
function access(token: string, over: Record<string, unknown> = {}) {
  const data = {
    jti: uuidv7(),
    tokenHash: sha256(token),
    format: 'jwt',
    clientId: 'rp',
    sub: alice,
    scope: 'openid profile',
    aud: ['https://api.example'],
    iat: 1000,
    exp: 99_999,
    grantType: 'authorization_code',
    kid: 'k',
    grantId: uuidv7(),
    ...over,
  };
  return { event: recorded('AccessTokenIssued', data), data };
}
function refresh(token: string, over: Record<string, unknown> = {}) {
  const data = {
    grantId: uuidv7(),
    jti: uuidv7(),
    tokenHash: sha256(token),
    clientId: 'rp',
    sub: alice,
    scope: 'openid offline_access',
    iat: 1000,
    exp: 80_000,
    familyExp: 70_000,
    ...over,
  };
  return { event: recorded('RefreshTokenIssued', data), data };
}

const caller = (clientId: string, metadata: Partial<ClientMetadata> = {}) => ({
  clientId,
  metadata: { redirect_uris: [], ...metadata } as ClientMetadata,
});
const rs = caller('rs');

describe('introspect (RFC 7662 from the views)', () => {
  it('answers an active access token with its claims, a single audience as a string', () => {
    const at = access('at-1');
    const views = viewsFrom([client('rp'), user(alice), at.event]);
    assert.deepEqual(introspect(views, sha256('at-1'), NOW, rs, ISSUER), {
      active: true,
      scope: 'openid profile',
      client_id: 'rp',
      sub: alice,
      aud: 'https://api.example',
      iss: ISSUER,
      exp: 99_999,
      iat: 1000,
      jti: at.data.jti,
      token_type: 'Bearer',
    });
  });

  it('says inactive for an unknown, expired or revoked token, and for one of a disabled client or user', () => {
    const a = access('a');
    const b = access('b', { exp: NOW });
    const c = access('c');
    const views = viewsFrom([client('rp'), user(alice), a.event, b.event, c.event]);
    views.feed([
      recorded('TokenRevoked', { jti: c.data.jti, tokenHash: c.data.tokenHash, kind: 'access_token', reason: 'r' }),
    ]);
    for (const t of ['unknown', 'b', 'c'])
      assert.deepEqual(introspect(views, sha256(t), NOW, rs, ISSUER), { active: false }, t);
    assert.equal(introspect(views, sha256('a'), NOW, rs, ISSUER).active, true);
    views.feed([recorded('ClientDisabled', { clientId: 'rp' })]);
    assert.deepEqual(introspect(views, sha256('a'), NOW, rs, ISSUER), { active: false });

    const d = access('d', { clientId: 'other' });
    const byUser = viewsFrom([client('other'), user(alice), d.event]);
    // UserDisabled also drops the user's tokens from the view; a token minted while it was being written is still
    // refused.
    byUser.feed([recorded('UserDisabled', { sub: alice }), access('e', { clientId: 'other' }).event]);
    assert.deepEqual(introspect(byUser, sha256('e'), NOW, rs, ISSUER), { active: false });
  });

  it('shows an own_and_audience caller only its own tokens and those addressed to it', () => {
    const mine = access('mine', { clientId: 'rs', aud: ['x', 'y'] });
    const forMe = access('for-me', { aud: ['https://rs.example'] });
    const notForMe = access('not-for-me');
    const views = viewsFrom([client('rp'), client('rs'), user(alice), mine.event, forMe.event, notForMe.event]);
    const restricted = caller('rs', {
      introspection_access: 'own_and_audience',
      introspection_audiences: ['https://rs.example'],
    });
    assert.deepEqual(introspect(views, sha256('mine'), NOW, restricted, ISSUER).aud, ['x', 'y']);
    assert.equal(introspect(views, sha256('for-me'), NOW, restricted, ISSUER).active, true);
    assert.deepEqual(introspect(views, sha256('not-for-me'), NOW, restricted, ISSUER), { active: false });
  });

  it('answers an active refresh token (expiring at the earlier of its own and its family expiry), never a rotated one', () => {
    const r = refresh('rt');
    const rotated = refresh('rt-old');
    const views = viewsFrom([client('rp'), user(alice), r.event, rotated.event]);
    views.feed([
      recorded('RefreshTokenRotated', { grantId: rotated.data.grantId, jti: rotated.data.jti, successorJti: uuidv7() }),
    ]);
    assert.deepEqual(introspect(views, sha256('rt'), NOW, rs, ISSUER), {
      active: true,
      scope: 'openid offline_access',
      client_id: 'rp',
      sub: alice,
      iss: ISSUER,
      exp: 70_000,
      iat: 1000,
      jti: r.data.jti,
      token_type: 'refresh_token',
    });
    assert.deepEqual(introspect(views, sha256('rt-old'), NOW, rs, ISSUER), { active: false });
    assert.deepEqual(introspect(views, sha256('rt'), 70_000, rs, ISSUER), { active: false }, 'past its family expiry');
    const restricted = caller('rs', { introspection_access: 'own_and_audience', introspection_audiences: ['x'] });
    assert.deepEqual(introspect(views, sha256('rt'), NOW, restricted, ISSUER), { active: false }, 'no audience');
  });
});

describe('access token queries', () => {
  it('activeAccessToken: active, and its client registered and enabled', () => {
    const a = access('a');
    const orphan = access('orphan', { clientId: 'gone' });
    const views = viewsFrom([client('rp'), a.event, orphan.event]);
    assert.equal(activeAccessToken(views, sha256('a'), NOW)?.jti, a.data.jti);
    assert.equal(activeAccessToken(views, sha256('a'), 99_999), undefined, 'expired');
    assert.equal(activeAccessToken(views, sha256('orphan'), NOW), undefined, 'unknown client');
    views.feed([recorded('ClientDisabled', { clientId: 'rp' })]);
    assert.equal(activeAccessToken(views, sha256('a'), NOW), undefined, 'disabled client');
  });

  it('accessTokenByHash finds an expired token still in the view (revocation answers for it)', () => {
    const a = access('a', { exp: 10 });
    const views = viewsFrom([client('rp'), a.event]);
    assert.equal(accessTokenByHash(views, sha256('a'))?.jti, a.data.jti);
    assert.equal(accessTokenByHash(views, sha256('b')), undefined);
  });
});
