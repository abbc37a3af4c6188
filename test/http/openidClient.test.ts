import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import { registerClient } from '../helpers/oauth.js';
import { Browser } from '../helpers/browser.js';
import { authorizeInBrowser, createUser } from '../helpers/flow.js';

/**
 * The README's openid-client v6 snippet, over the wire: a client registered as `clients create`
 * registers it (client_secret_basic) must pass client.ClientSecretBasic(secret) to discovery;
 * openid-client's own default (client_secret_post) is told which method to use.
 */
describe('openid-client v6 against token-ledger', () => {
  let server: TestServer;
  let alice: { username: string; password: string };
  let rp: { clientId: string; secret: string | null };
  const redirectUri = 'https://rp.example/callback';
  // The server under test is plain http on loopback; a real issuer is https and needs no such option.
  const loopbackOnly = { execute: [client.allowInsecureRequests] };
  before(async () => {
    server = await startTestServer();
    alice = await createUser(server, 'alice');
    rp = await registerClient(server, {
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [redirectUri],
      scope: 'openid profile email',
    });
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  /** Sends the browser to `url`, signs in and consents: the URL the browser comes back to. */
  async function signIn(url: URL): Promise<URL> {
    const page = await authorizeInBrowser(server, new Browser(), Object.fromEntries(url.searchParams), alice);
    assert.equal(page.status, 303, page.html.slice(0, 300));
    return new URL(page.location!);
  }

  it('discovery → buildAuthorizationUrl with PKCE → authorizationCodeGrant → fetchUserInfo', async () => {
    const [ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI] = [server.url, rp.clientId, rp.secret!, redirectUri];

    // --- the README snippet ---
    const config = await client.discovery(
      new URL(ISSUER),
      CLIENT_ID,
      undefined,
      client.ClientSecretBasic(CLIENT_SECRET),
      loopbackOnly,
    );
    const code_verifier = client.randomPKCECodeVerifier();
    const code_challenge = await client.calculatePKCECodeChallenge(code_verifier);
    const state = client.randomState();
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile email',
      code_challenge,
      code_challenge_method: 'S256',
      state,
    });
    // ... the browser signs in at authorizationUrl and comes back to REDIRECT_URI; then, on the callback:
    const callbackUrl = await signIn(authorizationUrl);
    const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: code_verifier,
      expectedState: state,
    });
    const claims = tokens.claims()!;
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    // --- end of snippet ---

    assert.equal(claims.iss, server.url);
    assert.equal(claims.aud, CLIENT_ID);
    assert.equal(userinfo.sub, claims.sub);
    assert.equal(userinfo.preferred_username, 'alice');
    assert.ok(tokens.refresh_token);
  });

  it("without ClientSecretBasic (openid-client's default is client_secret_post) the callback fails with an invalid_client that names the method", async () => {
    const config = await client.discovery(new URL(server.url), rp.clientId, rp.secret!, undefined, loopbackOnly);
    const code_verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(code_verifier),
      code_challenge_method: 'S256',
      state,
    });
    const callbackUrl = await signIn(url);
    await assert.rejects(
      client.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: code_verifier, expectedState: state }),
      (err: unknown) => {
        const e = err as { error?: string; error_description?: string };
        assert.equal(e.error, 'invalid_client');
        assert.match(
          e.error_description ?? '',
          /registered with token_endpoint_auth_method client_secret_basic but used client_secret_post/,
        );
        return true;
      },
    );
  });
});
