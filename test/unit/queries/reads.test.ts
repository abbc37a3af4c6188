import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { v7 as uuidv7 } from 'uuid';
import {
  codeByHash,
  consentCovers,
  dueLogouts,
  liveSession,
  refreshTokenByHash,
  sessionByHash,
} from '../../../src/application/queries/authorization.js';
import { allClients, clientById, isClientDisabled, isKnownClient } from '../../../src/application/queries/clients.js';
import { allSigningKeys, signingKeyByKid } from '../../../src/application/queries/keys.js';
import { statusListContent, statusListIds } from '../../../src/application/queries/statusLists.js';
import { allUsers, isUserDisabled, userBySub } from '../../../src/application/queries/users.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { recorded, viewsFrom } from '../../helpers/views.js';

const alice = uuidv7();
const bob = uuidv7();
const client = (clientId: string, metadata: object = {}) =>
  recorded('ClientRegistered', {
    clientId,
    metadata: { redirect_uris: ['https://rp.example/cb'], ...metadata },
    secret: null,
  });
const user = (sub: string, username: string) =>
  recorded('UserRegistered', {
    sub,
    username,
    emailVerified: false,
    passwordHash: { alg: 'scrypt', salt: 's'.repeat(22), hash: 'h'.repeat(43), N: 1024, r: 8, p: 1 },
  });

describe('client and user queries', () => {
  it('find clients by id, in registration order, and say which are disabled', () => {
    const views = viewsFrom([client('b'), client('a'), recorded('ClientDisabled', { clientId: 'b' })]);
    assert.deepEqual(
      [...allClients(views)].map((c) => c.clientId),
      ['b', 'a'],
    );
    assert.equal(clientById(views, 'a')?.disabled, false);
    assert.equal(isKnownClient(views, 'c'), false);
    assert.deepEqual(
      ['a', 'b', 'c'].map((id) => isClientDisabled(views, id)),
      [false, true, false],
    );
  });

  it('find users by sub, in registration order, and say which are disabled', () => {
    const views = viewsFrom([user(alice, 'alice'), user(bob, 'bob'), recorded('UserDisabled', { sub: bob })]);
    assert.deepEqual(
      [...allUsers(views)].map((u) => u.username),
      ['alice', 'bob'],
    );
    assert.equal(userBySub(views, alice)?.username, 'alice');
    assert.deepEqual(
      [isUserDisabled(views, alice), isUserDisabled(views, bob), isUserDisabled(views, 'x')],
      [false, true, false],
    );
  });
});

describe('authorization queries', () => {
  const sid = sha256('sid');
  const grantId = uuidv7();
  const started = (sidHash: string, sub: string, exp: number) =>
    recorded('SessionStarted', { sidHash, sub, authTime: 1000, amr: ['pwd'], exp });
  const code = recorded('AuthorizationCodeIssued', {
    grantId,
    codeHash: sha256('code'),
    clientId: 'rp',
    sub: alice,
    redirectUri: 'https://rp.example/cb',
    redirectUriSent: true,
    scope: 'openid',
    resource: [],
    codeChallenge: null,
    nonce: null,
    authTime: 1000,
    sid,
    exp: 1060,
  });

  it('a session is live until it expires, while its user is registered and enabled', () => {
    const views = viewsFrom([
      user(alice, 'alice'),
      started(sid, alice, 5000),
      started(sha256('ghost'), uuidv7(), 5000),
    ]);
    assert.equal(liveSession(views, sid, 4999)?.sub, alice);
    assert.equal(liveSession(views, sid, 5000), undefined, 'expired');
    assert.equal(sessionByHash(views, sid)?.exp, 5000, 'still remembered until eviction');
    assert.equal(liveSession(views, sha256('ghost'), 10), undefined, 'unknown user');
    views.feed([recorded('UserDisabled', { sub: alice })]);
    assert.equal(liveSession(views, sid, 10), undefined, 'the session ended with the user');
  });

  it('codes and refresh tokens by hash', () => {
    const rt = {
      grantId,
      jti: uuidv7(),
      tokenHash: sha256('rt'),
      clientId: 'rp',
      sub: alice,
      scope: 'openid',
      iat: 1,
      exp: 2,
      familyExp: 3,
    };
    const views = viewsFrom([code, recorded('RefreshTokenIssued', rt)]);
    assert.deepEqual(codeByHash(views, sha256('code')), { grantId, sub: alice, exp: 1060 });
    assert.equal(codeByHash(views, sha256('other')), undefined);
    assert.deepEqual(refreshTokenByHash(views, sha256('rt')), { ...rt, status: 'active' });
    views.feed([recorded('RefreshTokenRotated', { grantId, jti: rt.jti, successorJti: uuidv7() })]);
    assert.equal(refreshTokenByHash(views, sha256('rt'))?.status, 'rotated');
  });

  it('remembered consent covers the scopes consented to, added up across grants', () => {
    const granted = (scope: string) =>
      recorded('AuthorizationGranted', { grantId: uuidv7(), clientId: 'rp', sub: alice, scope });
    const views = viewsFrom([granted('openid'), granted('profile email')]);
    assert.equal(consentCovers(views, alice, 'rp', ['openid', 'email'], []), true);
    assert.equal(consentCovers(views, alice, 'rp', ['openid', 'address'], []), false);
    assert.equal(consentCovers(views, alice, 'other', [], []), false, 'no consent at all for this client');
    assert.equal(consentCovers(views, bob, 'rp', ['openid'], []), false);
  });

  it('remembered consent is per resource; an event without resources (as before they were recorded) covers none', () => {
    const A = 'https://a.example/mcp';
    const B = 'https://b.example/mcp';
    const views = viewsFrom([
      recorded('AuthorizationGranted', { clientId: 'rp', sub: alice, scope: 'mcp:read' }),
      recorded('AuthorizationGranted', { clientId: 'rp', sub: alice, scope: 'mcp:read mcp:write', resources: [A] }),
    ]);
    assert.equal(consentCovers(views, alice, 'rp', ['mcp:read'], []), true, 'the old event: no specific resource');
    assert.equal(consentCovers(views, alice, 'rp', ['mcp:write'], []), false, 'write was allowed at A only');
    assert.equal(consentCovers(views, alice, 'rp', ['mcp:read', 'mcp:write'], [A]), true);
    assert.equal(consentCovers(views, alice, 'rp', ['mcp:read'], [B]), false);
  });

  it('back-channel logouts owed are due from the moment the session ended', () => {
    const views = viewsFrom([
      client('rp', { backchannel_logout_uri: 'https://rp.example/bc' }),
      user(alice, 'alice'),
      started(sid, alice, 9_999_999),
      code,
      recorded('SessionEnded', { sidHash: sid, reason: 'r' }, 2_000_000),
    ]);
    assert.deepEqual(dueLogouts(views, 1_999_999), []);
    assert.deepEqual(
      dueLogouts(views, 2_000_000).map((p) => [p.clientId, p.sub, p.attempts]),
      [['rp', alice, 0]],
    );
  });
});

describe('key and status list queries', () => {
  it('list signing keys in generation order and find one by kid', () => {
    const key = (kid: string) =>
      recorded('SigningKeyGenerated', {
        kid,
        alg: 'RS256',
        publicJwk: { kty: 'RSA' },
        encryptedPrivateKey: 'x',
        activatesAt: new Date(0).toISOString(),
      });
    const views = viewsFrom([key('k2'), key('k1')]);
    assert.deepEqual(
      [...allSigningKeys(views)].map((k) => k.kid),
      ['k2', 'k1'],
    );
    assert.equal(signingKeyByKid(views, 'k1')?.kid, 'k1');
    assert.equal(signingKeyByKid(views, 'k3'), undefined);
  });

  it('list published status lists, sorted, and their bits', () => {
    const issued = (list: string, idx: number) =>
      recorded('AccessTokenIssued', {
        jti: uuidv7(),
        tokenHash: sha256(`${list}${idx}`),
        format: 'jwt',
        clientId: 'rp',
        sub: 'rp',
        scope: '',
        aud: ['x'],
        iat: 1,
        exp: 99_999,
        grantType: 'client_credentials',
        kid: 'k',
        grantId: null,
        statusList: { id: list, idx },
      });
    const views = viewsFrom([issued('b', 0), issued('a', 0)]);
    assert.deepEqual(statusListIds(views), ['a', 'b']);
    assert.ok(statusListContent(views, 'a') instanceof Uint8Array);
    assert.equal(statusListContent(views, 'c'), undefined);
  });
});
