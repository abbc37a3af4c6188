import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { mintInitialAccessToken } from '../../src/application/initialAccessTokens.js';
import { Browser } from '../helpers/browser.js';
import { authorizeInBrowser, createUser } from '../helpers/flow.js';
import { discover, insecure } from '../helpers/oauth.js';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';

const operator = { actor: 'operator:test', correlationId: 'register-wire-test' };

/** RFC 7591 and RFC 7592 over a socket, driven by the client libraries relying parties use. */
describe('dynamic client registration with real client libraries', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });
  const mint = async () => (await mintInitialAccessToken(server.runtime.ports, { uses: 1 }, operator)).token;

  it('oauth4webapi: registers, gets a client-credentials token, then reads, replaces and deletes itself', async () => {
    const as = await discover(server);
    assert.equal(as.registration_endpoint, `${server.url}/register`);
    const initialAccessToken = await mint();
    const registered = await oauth.processDynamicClientRegistrationResponse(
      await oauth.dynamicClientRegistrationRequest(
        as,
        { client_name: 'Wire', grant_types: ['client_credentials'], scope: 'orders:read' },
        { initialAccessToken, ...insecure },
      ),
    );
    const secret = registered.client_secret as string;
    const auth = oauth.ClientSecretBasic(secret);
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      registered,
      await oauth.clientCredentialsGrantRequest(as, registered, auth, { scope: 'orders:read' }, insecure),
    );
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.scope, 'orders:read');

    const uri = registered.registration_client_uri as string;
    const manage = (method: string, token: string, body?: object) =>
      fetch(uri, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body && { 'content-type': 'application/json' }) },
        body: body && JSON.stringify(body),
      });
    const read = await manage('GET', registered.registration_access_token as string);
    assert.equal(read.status, 200);
    assert.equal(((await read.json()) as { client_name: string }).client_name, 'Wire');
    const put = await manage('PUT', registered.registration_access_token as string, {
      client_id: registered.client_id,
      client_name: 'Wire 2',
      grant_types: ['client_credentials'],
      scope: 'orders:read orders:write',
    });
    assert.equal(put.status, 200);
    const replaced = (await put.json()) as { client_name: string; registration_access_token: string };
    assert.equal(replaced.client_name, 'Wire 2');
    const wider = await oauth.processClientCredentialsResponse(
      as,
      registered,
      await oauth.clientCredentialsGrantRequest(as, registered, auth, { scope: 'orders:write' }, insecure),
    );
    assert.equal(wider.scope, 'orders:write');
    assert.equal((await manage('DELETE', registered.registration_access_token as string)).status, 401);
    assert.equal((await manage('DELETE', replaced.registration_access_token)).status, 204);
    const refused = await oauth.clientCredentialsGrantRequest(as, registered, auth, {}, insecure);
    assert.equal(refused.status, 401);
  });

  it('openid-client: a public client registers itself and runs code + PKCE', async () => {
    const alice = await createUser(server, 'alice');
    const redirectUri = 'http://127.0.0.1:8765/callback';
    const config = await client.dynamicClientRegistration(
      new URL(server.url),
      {
        client_name: 'Public app',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'none',
        scope: 'openid profile',
      },
      client.None(),
      { initialAccessToken: await mint(), execute: [client.allowInsecureRequests] },
    );
    const meta = config.clientMetadata();
    assert.equal(meta.client_secret, undefined);
    assert.ok(meta.registration_access_token);
    const code_verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(code_verifier),
      code_challenge_method: 'S256',
      state,
    });
    const page = await authorizeInBrowser(server, new Browser(), Object.fromEntries(url.searchParams), alice);
    assert.equal(page.status, 303, page.html.slice(0, 300));
    const tokens = await client.authorizationCodeGrant(config, new URL(page.location!), {
      pkceCodeVerifier: code_verifier,
      expectedState: state,
    });
    assert.equal(tokens.claims()?.aud, meta.client_id);
    assert.ok(tokens.refresh_token);
  });
});
