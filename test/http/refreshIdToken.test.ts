import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import { decodeProtectedHeader } from 'jose';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import { ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { Browser } from '../helpers/browser.js';
import { authorizeInBrowser, createUser } from '../helpers/flow.js';
import { replayLedger } from '../../src/audit/replay.js';
import { verifyLedger } from '../../src/audit/verify.js';

/** OIDC Core §3.1.3.6, computed here rather than by the server's own helper. */
const atHash = (accessToken: string) =>
  createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

describe('ID tokens on refresh (OIDC Core §12.2)', () => {
  let server: TestServer;
  let alice: { sub: string; username: string; password: string };
  let rp: { clientId: string; secret: string | null };
  let config: client.Configuration;
  const redirectUri = 'https://rp.example/cb';
  before(async () => {
    server = await startTestServer();
    alice = await createUser(server, 'alice');
    rp = await registerClient(server, {
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [redirectUri],
      scope: 'openid profile email',
      token_endpoint_auth_method: 'client_secret_post',
    });
    config = await connect(rp.clientId, rp.secret!);
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  /**
   * openid-client as the relying party: auth_time required, and every ID token's signature checked
   * against the server's JWKS (non-repudiation checks), on refresh as on the code flow.
   */
  async function connect(clientId: string, secret: string, metadata: Partial<client.ClientMetadata> = {}) {
    const c = await client.discovery(
      new URL(server.url),
      clientId,
      { client_secret: secret, require_auth_time: true, ...metadata },
      client.ClientSecretPost(secret),
      {
        execute: [client.allowInsecureRequests],
      },
    );
    client.enableNonRepudiationChecks(c);
    return c;
  }

  async function login(scope = 'openid profile email', cfg = config) {
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const openid = scope.split(' ').includes('openid');
    const url = client.buildAuthorizationUrl(cfg, {
      redirect_uri: redirectUri,
      scope,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...(openid ? { nonce } : {}),
    });
    const page = await authorizeInBrowser(server, new Browser(), Object.fromEntries(url.searchParams), alice);
    assert.equal(page.status, 303, page.html.slice(0, 300));
    return client.authorizationCodeGrant(cfg, new URL(page.location!), {
      pkceCodeVerifier: verifier,
      expectedNonce: openid ? nonce : undefined,
      idTokenExpected: openid,
    });
  }

  const eventsSince = async (position: bigint) => server.runtime.store.readAll(position, 100);

  it('a refresh returns a new ID token for the same login, validated by openid-client, without nonce, with at_hash of the new access token', async () => {
    const first = await login();
    const original = first.claims()!;
    assert.equal(typeof original.nonce, 'string', 'the code-flow ID token carries the nonce');
    const refreshed = await client.refreshTokenGrant(config, first.refresh_token!);
    assert.ok(refreshed.id_token, 'the refresh response has an id_token');
    assert.notEqual(refreshed.id_token, first.id_token);
    const claims = refreshed.claims()!;
    assert.equal(decodeProtectedHeader(refreshed.id_token).alg, 'RS256');
    assert.equal(claims.iss, original.iss);
    assert.equal(claims.sub, original.sub);
    assert.equal(claims.sub, alice.sub);
    assert.equal(claims.aud, original.aud);
    assert.equal(claims.azp, original.azp);
    assert.equal(claims.auth_time, original.auth_time, 'auth_time is the original login, not the refresh');
    assert.equal(claims.sid, original.sid);
    assert.deepEqual(claims.amr, original.amr);
    assert.equal(claims.nonce, undefined, 'no nonce on refresh');
    assert.equal(claims.at_hash, atHash(refreshed.access_token));
    assert.notEqual(claims.at_hash, original.at_hash);
    assert.ok(claims.iat >= original.iat);
    assert.notEqual(claims.jti, original.jti);

    // the rotated refresh token keeps the grant's openid scope: the next refresh gets one too
    const again = await client.refreshTokenGrant(config, refreshed.refresh_token!);
    assert.equal(again.claims()!.auth_time, original.auth_time);
    assert.equal(again.claims()!.at_hash, atHash(again.access_token));
  });

  it('records the refresh ID token by hash, in the same append as the rotation, never the token itself', async () => {
    const first = await login();
    const before = await ledgerHead(server);
    const refreshed = await client.refreshTokenGrant(config, first.refresh_token!);
    const written = await eventsSince(before);
    assert.deepEqual(
      written.map((e) => e.type),
      ['RefreshTokenRotated', 'AccessTokenIssued', 'RefreshTokenIssued', 'IdTokenIssued'],
    );
    assert.equal(new Set(written.map((e) => e.stream)).size, 1, 'one grant stream');
    assert.equal(new Set(written.map((e) => e.metadata.correlationId)).size, 1, 'one command');
    const claims = refreshed.claims()!;
    const data = written[3].data as Record<string, unknown>;
    assert.equal(data.tokenHash, sha256(refreshed.id_token!));
    assert.equal(data.jti, claims.jti);
    assert.equal(data.sub, alice.sub);
    assert.equal(data.clientId, rp.clientId);
    assert.equal(data.authTime, first.claims()!.auth_time);
    assert.equal(data.sid, claims.sid);
    assert.equal(data.nonce, null);
    assert.equal(data.kid, decodeProtectedHeader(refreshed.id_token!).kid);
    for (const e of written) {
      const json = JSON.stringify({ data: e.data, metadata: e.metadata });
      for (const secret of [
        refreshed.id_token!,
        refreshed.access_token,
        refreshed.refresh_token!,
        first.refresh_token!,
      ]) {
        assert.equal(json.includes(secret), false, `${e.type} holds no bearer secret`);
      }
    }
  });

  it('no ID token when the refresh narrows scope to leave openid out; the grant keeps openid for the next one', async () => {
    const first = await login();
    const before = await ledgerHead(server);
    const narrowed = await client.refreshTokenGrant(config, first.refresh_token!, { scope: 'profile' });
    assert.equal(narrowed.id_token, undefined);
    assert.equal(narrowed.scope, 'profile');
    assert.deepEqual(
      (await eventsSince(before)).map((e) => e.type),
      ['RefreshTokenRotated', 'AccessTokenIssued', 'RefreshTokenIssued'],
    );
    const full = await client.refreshTokenGrant(config, narrowed.refresh_token!);
    assert.ok(full.id_token, 'the refresh token kept the openid scope');
    assert.equal(full.claims()!.auth_time, first.claims()!.auth_time);
  });

  it('no ID token for a grant that was no OpenID authentication', async () => {
    const first = await login('profile email');
    assert.equal(first.id_token, undefined);
    const before = await ledgerHead(server);
    const refreshed = await client.refreshTokenGrant(config, first.refresh_token!);
    assert.equal(refreshed.id_token, undefined);
    assert.ok(refreshed.access_token);
    assert.equal(
      (await eventsSince(before)).some((e) => e.type === 'IdTokenIssued'),
      false,
    );
    // asking for openid on refresh cannot widen the grant into one
    const head = await ledgerHead(server);
    const widened = await postForm(server, '/token', {
      grant_type: 'refresh_token',
      refresh_token: refreshed.refresh_token!,
      scope: 'openid profile',
      client_id: rp.clientId,
      client_secret: rp.secret!,
    });
    assert.equal(widened.status, 400);
    assert.equal(widened.body.error, 'invalid_scope');
    assert.equal(await ledgerHead(server), head);
  });

  it('a reused refresh token still gets invalid_grant and writes no ID token; the grant is dead after', async () => {
    const first = await login();
    const refreshed = await client.refreshTokenGrant(config, first.refresh_token!);
    const before = await ledgerHead(server);
    const reused = await postForm(server, '/token', {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token!,
      client_id: rp.clientId,
      client_secret: rp.secret!,
    });
    assert.equal(reused.status, 400);
    assert.equal(reused.body.error, 'invalid_grant');
    assert.equal(reused.body.id_token, undefined);
    assert.deepEqual(
      (await eventsSince(before)).map((e) => e.type),
      ['RefreshTokenReuseDetected', 'GrantRevoked'],
      'the reuse verdict only',
    );
    const head = await ledgerHead(server);
    const successor = await postForm(server, '/token', {
      grant_type: 'refresh_token',
      refresh_token: refreshed.refresh_token!,
      client_id: rp.clientId,
      client_secret: rp.secret!,
    });
    assert.equal(successor.status, 400);
    assert.equal(successor.body.error, 'invalid_grant');
    assert.equal(await ledgerHead(server), head, 'a refused refresh writes nothing');
  });

  it('a refused refresh (scope wider than the grant) writes nothing and returns no ID token', async () => {
    const first = await login('openid profile');
    const before = await ledgerHead(server);
    const wider = await postForm(server, '/token', {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token!,
      scope: 'openid email',
      client_id: rp.clientId,
      client_secret: rp.secret!,
    });
    assert.equal(wider.status, 400);
    assert.equal(wider.body.error, 'invalid_scope');
    assert.equal(await ledgerHead(server), before);
  });

  it('signs the refresh ID token with the alg the client registered (ES256)', async () => {
    const es = await registerClient(server, {
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [redirectUri],
      scope: 'openid',
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_post',
    });
    const esConfig = await connect(es.clientId, es.secret!, { id_token_signed_response_alg: 'ES256' });
    const first = await login('openid', esConfig);
    const refreshed = await client.refreshTokenGrant(esConfig, first.refresh_token!);
    assert.equal(decodeProtectedHeader(refreshed.id_token!).alg, 'ES256');
    assert.equal(refreshed.claims()!.auth_time, first.claims()!.auth_time);
  });

  it('audit replay counts refresh ID tokens like any other, and verify checks their schema and signing key', async () => {
    const before = await replayLedger(server.runtime.store);
    const first = await login();
    await client.refreshTokenGrant(config, first.refresh_token!);
    const after = await replayLedger(server.runtime.store);
    assert.equal(after.idTokensIssued - before.idTokensIssued, 2, 'one from the code, one from the refresh');
    const recorded = (await server.runtime.store.readAll(0n, 100_000)).filter((e) => e.type === 'IdTokenIssued');
    assert.equal(recorded.length, after.idTokensIssued);
    const report = await verifyLedger(server.runtime.store);
    assert.equal(report.ok, true, JSON.stringify(report.firstBad));
    assert.ok(report.signedTokens >= recorded.length);
  });
});
