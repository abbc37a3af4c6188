import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';
import { ledgerHead, registerClient } from '../helpers/oauth.js';
import { Browser } from '../helpers/browser.js';
import { authorizeWithPkce, createUser } from '../helpers/flow.js';

/** Authorization-request rules of OpenID Connect Core §3.1.2.1 and §11. */
describe('authorization requests: OpenID Connect rules', () => {
  let server: TestServer;
  let alice: { sub: string; username: string; password: string };
  const redirectUri = 'https://rp.example/cb';
  before(async () => {
    server = await startInjectServer();
    alice = await createUser(server, 'alice');
    await registerClient(
      server,
      {
        client_id: 'rp',
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: 'none',
        scope: 'openid profile',
      },
      null,
    );
    await registerClient(
      server,
      {
        client_id: 'once',
        grant_types: ['authorization_code'],
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: 'none',
        scope: 'openid profile',
      },
      null,
    );
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const pkce = async () => ({
    code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
    code_challenge_method: 'S256',
  });
  const query = async (extra: Record<string, string>) =>
    new URLSearchParams({
      client_id: 'rp',
      response_type: 'code',
      redirect_uri: redirectUri,
      ...(await pkce()),
      ...extra,
    });

  it('max_age=0 asks for a login even right after one', async () => {
    const browser = new Browser(server.fetch);
    const first = await authorizeWithPkce(server, browser, 'rp', redirectUri, alice, { scope: 'openid' });
    assert.ok(first.params.get('code'));
    const again = await browser.get(`${server.url}/authorize?${await query({ scope: 'openid', max_age: '0' })}`);
    assert.equal(again.status, 200);
    assert.match(again.html, /name="password"/, 'the login page, not a code');
    const relaxed = await browser.get(`${server.url}/authorize?${await query({ scope: 'openid', max_age: '3600' })}`);
    assert.equal(relaxed.status, 303, 'a recent login satisfies a larger max_age');
  });

  it('an OpenID request without redirect_uri is invalid_request, even with one registered URI; an OAuth one is not', async () => {
    const before = await ledgerHead(server);
    const { redirect_uri: _, ...rest } = Object.fromEntries(await query({ scope: 'openid', state: 's1' }));
    const page = await new Browser(server.fetch).get(`${server.url}/authorize?${new URLSearchParams(rest)}`);
    assert.equal(page.status, 303);
    const back = new URL(page.location!);
    assert.equal(`${back.origin}${back.pathname}`, redirectUri);
    assert.equal(back.searchParams.get('error'), 'invalid_request');
    assert.equal(back.searchParams.get('state'), 's1');
    assert.equal(await ledgerHead(server), before);
    const { redirect_uri: __, ...oauthOnly } = Object.fromEntries(await query({ scope: 'profile' }));
    const login = await new Browser(server.fetch).get(`${server.url}/authorize?${new URLSearchParams(oauthOnly)}`);
    assert.equal(login.status, 200, 'RFC 6749 §3.1.2.3 lets the one registered URI stand in');
  });

  it('a POSTed authorization request must be form-encoded: anything else gets an error page, never a redirect', async () => {
    const before = await ledgerHead(server);
    const res = await server.fetch(`${server.url}/authorize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Object.fromEntries(await query({ scope: 'openid' }))),
    });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
    assert.match(await res.text(), /application\/x-www-form-urlencoded/);
    assert.equal(await ledgerHead(server), before);
  });

  it('offline_access is accepted from a client with the refresh_token grant (libraries add it), and is invalid_scope for one without', async () => {
    const run = await authorizeWithPkce(server, new Browser(server.fetch), 'rp', redirectUri, alice, {
      scope: 'openid offline_access',
    });
    assert.ok(run.params.get('code'), run.page.html.slice(0, 300));
    const token = await server.fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: 'rp',
        code: run.params.get('code')!,
        code_verifier: run.verifier,
        redirect_uri: redirectUri,
      }),
    });
    const body = (await token.json()) as { scope: string; refresh_token?: string };
    assert.equal(token.status, 200);
    assert.equal(body.scope, 'openid offline_access');
    assert.ok(body.refresh_token);

    const page = await new Browser(server.fetch).get(
      `${server.url}/authorize?${new URLSearchParams({ ...Object.fromEntries(await query({ scope: 'openid offline_access' })), client_id: 'once' })}`,
    );
    assert.equal(page.status, 303);
    assert.equal(new URL(page.location!).searchParams.get('error'), 'invalid_scope');
  });

  it('prompt=none with id_token_hint: a code for the signed-in user it names, login_required for another, invalid_request for a forged one', async () => {
    const bob = await createUser(server, 'bob');
    const idTokenOf = async (browser: Browser, user: { username: string; password: string }) => {
      const run = await authorizeWithPkce(server, browser, 'rp', redirectUri, user, { scope: 'openid' });
      const res = await server.fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: 'rp',
          code: run.params.get('code')!,
          code_verifier: run.verifier,
          redirect_uri: redirectUri,
        }),
      });
      return ((await res.json()) as { id_token: string }).id_token;
    };
    const alicesBrowser = new Browser(server.fetch);
    const alicesHint = await idTokenOf(alicesBrowser, alice);
    const bobsHint = await idTokenOf(new Browser(server.fetch), bob);
    const silent = async (hint: string) => {
      const page = await alicesBrowser.get(
        `${server.url}/authorize?${await query({ scope: 'openid', prompt: 'none', id_token_hint: hint })}`,
      );
      assert.equal(page.status, 303);
      return new URL(page.location!).searchParams;
    };
    assert.ok((await silent(alicesHint)).get('code'), 'the hint names the signed-in user');
    const before = await ledgerHead(server);
    assert.equal((await silent(bobsHint)).get('error'), 'login_required');
    const [h, p, sig] = alicesHint.split('.');
    assert.equal((await silent(`${h}.${p}.${sig.slice(0, -4)}AAAA`)).get('error'), 'invalid_request');
    assert.equal(await ledgerHead(server), before, 'no code was issued');
  });
});
