import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';
import { basic, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { Browser } from '../helpers/browser.js';
import { authorizeWithPkce, createUser } from '../helpers/flow.js';

/**
 * RFC 8707 §2.2 and RFC 9068 §4: a grant's access tokens go to the resources its authorization
 * request named and no others, and UserInfo (OIDC Core §5.3) answers only for a user's token meant
 * for this server.
 */
describe('audience restriction: resource indicators at the token endpoint, and UserInfo', () => {
  let server: TestServer;
  let alice: { sub: string; username: string; password: string };
  const redirectUri = 'https://app.example/cb';
  const API = 'https://api.example/';
  const OTHER = 'https://bank.example/';
  before(async () => {
    server = await startInjectServer();
    alice = await createUser(server, 'alice');
    await registerClient(
      server,
      {
        client_id: 'app',
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: 'none',
        scope: 'openid profile email',
      },
      null,
    );
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  async function code(extra: Record<string, string> = {}) {
    const run = await authorizeWithPkce(server, new Browser(server.fetch), 'app', redirectUri, alice, {
      scope: 'openid profile email',
      ...extra,
    });
    assert.ok(run.params.get('code'), run.page.html.slice(0, 300));
    return { code: run.params.get('code')!, verifier: run.verifier };
  }
  const exchange = (c: { code: string; verifier: string }, extra: Record<string, string | string[]> = {}) =>
    postForm(server, '/token', {
      grant_type: 'authorization_code',
      client_id: 'app',
      code: c.code,
      code_verifier: c.verifier,
      redirect_uri: redirectUri,
      ...extra,
    });
  const refresh = (token: string, extra: Record<string, string | string[]> = {}) =>
    postForm(server, '/token', { grant_type: 'refresh_token', client_id: 'app', refresh_token: token, ...extra });
  const userinfo = (token: string) =>
    server.fetch(`${server.url}/userinfo`, { headers: { authorization: `Bearer ${token}` } });

  async function refused(
    res: Promise<{ status: number; body: { error?: string } }>,
    before: bigint,
    error = 'invalid_target',
  ) {
    const r = await res;
    assert.equal(r.status, 400);
    assert.equal(r.body.error, error);
    assert.equal(await ledgerHead(server), before, 'nothing was written');
  }

  it('a grant for one resource: the code and every refresh get tokens for it, and another resource is invalid_target', async () => {
    const c = await code({ resource: API });
    await refused(exchange(c, { resource: OTHER }), await ledgerHead(server));
    const first = await exchange(c, { resource: API });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(decodeJwt(first.body.access_token).aud, API);

    await refused(refresh(first.body.refresh_token, { resource: OTHER }), await ledgerHead(server));
    await refused(refresh(first.body.refresh_token, { resource: [API, OTHER] }), await ledgerHead(server));
    const plain = await refresh(first.body.refresh_token);
    assert.equal(plain.status, 200, JSON.stringify(plain.body));
    assert.deepEqual(decodeJwt(plain.body.access_token).aud, API, 'without resource: the resources of the grant');
    const named = await refresh(plain.body.refresh_token, { resource: API });
    assert.equal(named.status, 200);
    assert.deepEqual(decodeJwt(named.body.access_token).aud, API);

    // Restricted to the API, the token is not one for this server's UserInfo.
    const res = await userinfo(named.body.access_token);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.equal(
      ((await res.json()) as { error_description: string }).error_description,
      'the access token is for another resource',
    );
  });

  it('a grant without resource indicators: tokens for this server only, a resource at the token endpoint is invalid_target', async () => {
    const c = await code();
    await refused(exchange(c, { resource: API }), await ledgerHead(server));
    const first = await exchange(c);
    assert.equal(first.status, 200);
    assert.deepEqual(decodeJwt(first.body.access_token).aud, server.url);
    await refused(refresh(first.body.refresh_token, { resource: OTHER }), await ledgerHead(server));
    const res = await userinfo(first.body.access_token);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { sub: string }).sub, alice.sub);
  });

  it("UserInfo refuses a client's own token, even from a client whose id is a user's subject", async () => {
    const twin = await registerClient(server, { client_id: alice.sub, scope: 'openid profile email' });
    const token = (
      await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(twin.clientId, twin.secret!))
    ).body.access_token as string;
    const res = await userinfo(token);
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), {
      error: 'invalid_token',
      error_description: 'the access token was not issued for a user',
    });
  });

  it('UserInfo takes a token in the body only form-encoded (RFC 6750 §2.2)', async () => {
    const first = await exchange(await code());
    const json = await server.fetch(`${server.url}/userinfo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ access_token: first.body.access_token }),
    });
    assert.equal(json.status, 400);
    assert.equal(((await json.json()) as { error: string }).error, 'invalid_request');
    const form = await server.fetch(`${server.url}/userinfo`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: first.body.access_token }),
    });
    assert.equal(form.status, 200);
  });
});
