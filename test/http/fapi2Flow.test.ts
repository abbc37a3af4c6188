import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, type JWK } from 'jose';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import { discover, insecure, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { Browser } from '../helpers/browser.js';
import { authorizeInBrowser, createUser } from '../helpers/flow.js';
import { eventsSince } from '../helpers/fuzz.js';

const REDIRECT = 'https://bank.example/cb';

/**
 * PROFILE=fapi2 end to end with oauth4webapi: private_key_jwt, a pushed request carrying a DPoP proof (so the code
 * is bound to the key, RFC 9449 §10.1), login and consent, DPoP-bound tokens, an ES256 ID token, and a refresh.
 */
describe('FAPI 2.0 Security Profile, end to end', () => {
  let server: TestServer;
  let as: oauth.AuthorizationServer;
  let alice: { username: string; password: string };
  let client: oauth.Client;
  let auth: oauth.ClientAuth;
  let dpopKeys: CryptoKeyPair;

  before(async () => {
    server = await startTestServer({ env: { PROFILE: 'fapi2' } });
    alice = await createUser(server, 'alice');
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const { clientId } = await registerClient(
      server,
      {
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [REDIRECT],
        scope: 'openid accounts',
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [jwk] } as never,
      },
      null,
    );
    client = { client_id: clientId };
    auth = oauth.PrivateKeyJwt({ key: privateKey, kid: 'k1' });
    dpopKeys = await generateKeyPair('ES256');
    as = await discover(server);
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const pkce = async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    return { verifier, challenge: await oauth.calculatePKCECodeChallenge(verifier) };
  };
  const request = (challenge: string, extra: Record<string, string> = {}) => ({
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid accounts',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st-1',
    nonce: 'n-1',
    ...extra,
  });

  it('discovery says what the profile allows, and nothing else', () => {
    assert.equal(as.require_pushed_authorization_requests, true);
    assert.deepEqual(as.token_endpoint_auth_methods_supported, ['private_key_jwt']);
    assert.deepEqual(as.token_endpoint_auth_signing_alg_values_supported, ['PS256', 'ES256', 'EdDSA']);
    assert.deepEqual(as.id_token_signing_alg_values_supported, ['ES256']);
    assert.ok(as.dpop_signing_alg_values_supported!.every((a) => ['PS256', 'ES256', 'EdDSA'].includes(a)));
    assert.deepEqual(as.response_modes_supported, ['query', 'form_post']);
  });

  it('push with a DPoP proof, sign in, then DPoP-bound tokens for that key and an ES256 ID token', async () => {
    const dpop = oauth.DPoP(client, dpopKeys);
    const { verifier, challenge } = await pkce();
    const pushed = await oauth.processPushedAuthorizationResponse(
      as,
      client,
      await oauth.pushedAuthorizationRequest(as, client, auth, request(challenge), { ...insecure, DPoP: dpop }),
    );
    const page = await authorizeInBrowser(
      server,
      new Browser(),
      { client_id: client.client_id, request_uri: pushed.request_uri },
      alice,
    );
    assert.equal(page.status, 303, page.html.slice(0, 300));
    const params = oauth.validateAuthResponse(as, client, new URL(page.location!), 'st-1');
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, auth, params, REDIRECT, verifier, {
        ...insecure,
        DPoP: dpop,
      }),
      { expectedNonce: 'n-1' },
    );
    assert.equal(tokens.token_type, 'dpop');
    const cnf = decodeJwt(tokens.access_token).cnf as { jkt: string };
    assert.equal(cnf.jkt, await calculateJwkThumbprint(await exportJWK(dpopKeys.publicKey)));
    assert.equal(decodeProtectedHeader(tokens.id_token!).alg, 'ES256');
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, { ...insecure, DPoP: dpop }),
    );
    assert.equal(refreshed.token_type, 'dpop');
  });

  it('the code of a pushed request bound to one key is refused with another (invalid_grant)', async () => {
    const { verifier, challenge } = await pkce();
    const pushed = await oauth.processPushedAuthorizationResponse(
      as,
      client,
      await oauth.pushedAuthorizationRequest(as, client, auth, request(challenge), {
        ...insecure,
        DPoP: oauth.DPoP(client, dpopKeys),
      }),
    );
    const page = await authorizeInBrowser(
      server,
      new Browser(),
      { client_id: client.client_id, request_uri: pushed.request_uri },
      alice,
    );
    const params = oauth.validateAuthResponse(as, client, new URL(page.location!), 'st-1');
    const other = oauth.DPoP(client, await generateKeyPair('ES256'));
    await assert.rejects(
      oauth
        .authorizationCodeGrantRequest(as, client, auth, params, REDIRECT, verifier, { ...insecure, DPoP: other })
        .then((res) => oauth.processAuthorizationCodeResponse(as, client, res)),
      (e: unknown) => e instanceof oauth.ResponseBodyError && e.error === 'invalid_grant',
    );
  });

  it('refuses what the profile forbids, with the RFC error and nothing written', async () => {
    const { challenge } = await pkce();
    // A front-channel request is never used: it is sent back to the client as invalid_request.
    const head = await ledgerHead(server);
    const front = await new Browser().get(
      `${server.url}/authorize?${new URLSearchParams({ client_id: client.client_id, ...request(challenge) })}`,
    );
    assert.equal(front.status, 303);
    assert.equal(new URL(front.location!).searchParams.get('error'), 'invalid_request');
    assert.deepEqual(await eventsSince(server, head), []);

    // A pushed request without redirect_uri; an RS256 DPoP proof.
    await assert.rejects(
      oauth
        .pushedAuthorizationRequest(as, client, auth, request(challenge, { redirect_uri: '' }), insecure)
        .then((res) => oauth.processPushedAuthorizationResponse(as, client, res)),
      (e: unknown) => e instanceof oauth.ResponseBodyError && e.error === 'invalid_request',
    );
    const rsa = await generateKeyPair('RS256');
    await assert.rejects(
      oauth
        .pushedAuthorizationRequest(as, client, auth, request(challenge), {
          ...insecure,
          DPoP: oauth.DPoP(client, rsa),
        })
        .then((res) => oauth.processPushedAuthorizationResponse(as, client, res)),
      (e: unknown) => e instanceof oauth.ResponseBodyError && e.error === 'invalid_dpop_proof',
    );
    // Only the client assertions' jtis were spent.
    const written = (await eventsSince(server, head)).filter((t) => t !== 'ClientAssertionUsed');
    assert.deepEqual(written, []);
    const res = await postForm(server, '/par', { client_id: client.client_id, ...request(challenge) });
    assert.equal(res.body.error, 'invalid_client', 'a public push is refused');
  });
});
