import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';
import { basic, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { Browser } from '../helpers/browser.js';
import { authorizeInBrowser, authorizeWithPkce, createUser } from '../helpers/flow.js';

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';

describe('authorization endpoint and code/refresh grant rejections', () => {
  let server: TestServer;
  let alice: { sub: string; username: string; password: string };
  let spa: { clientId: string };
  let other: { clientId: string };
  let rs: { clientId: string; secret: string | null };
  const redirectUri = 'https://spa.example/cb';
  before(async () => {
    server = await startInjectServer();
    alice = await createUser(server, 'alice');
    spa = await registerClient(
      server,
      {
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [redirectUri, 'https://spa.example/other'],
        token_endpoint_auth_method: 'none',
      },
      null,
    );
    other = await registerClient(
      server,
      {
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: 'none',
      },
      null,
    );
    rs = await registerClient(server, { scope: '' });
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const base = () => ({
    client_id: spa.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    state: 'xyz',
  });

  /** An error page, never a redirect, and nothing written. */
  async function expectPage(query: Record<string, string> | string) {
    const before = await ledgerHead(server);
    const qs = typeof query === 'string' ? query : new URLSearchParams(query).toString();
    const page = await new Browser(server.fetch).get(`${server.url}/authorize?${qs}`);
    assert.equal(page.status, 400, page.html.slice(0, 200));
    assert.equal(page.location, null, 'no redirect');
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(await ledgerHead(server), before);
  }

  /** A redirect back to the client with the error, state as sent and iss; nothing written. */
  async function expectRedirectError(
    query: Record<string, string> | string,
    error: string,
    state: string | null = 'xyz',
  ) {
    const before = await ledgerHead(server);
    const qs = typeof query === 'string' ? query : new URLSearchParams(query).toString();
    const page = await new Browser(server.fetch).get(`${server.url}/authorize?${qs}`);
    assert.equal(page.status, 303, page.html.slice(0, 200));
    const url = new URL(page.location!);
    assert.equal(`${url.origin}${url.pathname}`, redirectUri);
    assert.equal(url.searchParams.get('error'), error);
    assert.equal(url.searchParams.get('state'), state);
    assert.equal(url.searchParams.get('iss'), server.url);
    assert.equal(url.searchParams.get('code'), null);
    assert.equal(await ledgerHead(server), before);
  }

  it('missing client_id → error page', () => expectPage({ ...base(), client_id: '' }));
  it('unknown client → error page', () => expectPage({ ...base(), client_id: 'nobody' }));
  for (const uri of [
    'https://spa.example/cb/',
    'https://spa.example/cb?x=1',
    'https://SPA.example/cb',
    'https://spa.example/cb#f',
    'https://spa.example/c',
    'https://evil.example/cb',
  ]) {
    it(`redirect_uri ${uri} (not an exact match) → error page`, () => expectPage({ ...base(), redirect_uri: uri }));
  }
  it('no redirect_uri while several are registered → error page', () => {
    const { redirect_uri: _omit, ...rest } = base();
    return expectPage(rest);
  });
  it('repeated redirect_uri → error page', () =>
    expectPage(`${new URLSearchParams(base())}&redirect_uri=${encodeURIComponent(redirectUri)}`));

  it('response_type=token → unsupported_response_type', () =>
    expectRedirectError({ ...base(), response_type: 'token' }, 'unsupported_response_type'));
  it('no response_type → invalid_request', () => {
    const { response_type: _omit, ...rest } = base();
    return expectRedirectError(rest, 'invalid_request');
  });
  it('no code_challenge → invalid_request', () => {
    const { code_challenge: _omit, ...rest } = base();
    return expectRedirectError(rest, 'invalid_request');
  });
  it('code_challenge_method=plain → invalid_request', () =>
    expectRedirectError({ ...base(), code_challenge_method: 'plain' }, 'invalid_request'));
  it('a 42-character code_challenge → invalid_request', () =>
    expectRedirectError({ ...base(), code_challenge: CHALLENGE.slice(0, 42) }, 'invalid_request'));
  it('an S256 code_challenge that is not 43 base64url characters → invalid_request', async () => {
    await expectRedirectError({ ...base(), code_challenge: `${CHALLENGE}A` }, 'invalid_request');
    await expectRedirectError({ ...base(), code_challenge: VERIFIER + VERIFIER }, 'invalid_request');
    await expectRedirectError({ ...base(), code_challenge: `${CHALLENGE.slice(0, 42)}~` }, 'invalid_request');
    await expectRedirectError({ ...base(), code_challenge: `${CHALLENGE.slice(0, 42)}=` }, 'invalid_request');
  });
  it('scope beyond the registration → invalid_scope', () =>
    expectRedirectError({ ...base(), scope: 'admin' }, 'invalid_scope'));
  it('repeated parameter → invalid_request', () =>
    expectRedirectError(`${new URLSearchParams(base())}&scope=a&scope=b`, 'invalid_request'));
  it('prompt=none without a session → login_required', () =>
    expectRedirectError({ ...base(), prompt: 'none' }, 'login_required'));
  it('prompt=none combined with login → invalid_request', () =>
    expectRedirectError({ ...base(), prompt: 'none login' }, 'invalid_request'));
  it('client without the authorization_code grant → unauthorized_client', async () => {
    const cc = await registerClient(server, { grant_types: ['client_credentials'], redirect_uris: [redirectUri] });
    await expectRedirectError({ ...base(), client_id: cc.clientId }, 'unauthorized_client');
  });
  it('unknown parameters are ignored', async () => {
    const page = await new Browser(server.fetch).get(
      `${server.url}/authorize?${new URLSearchParams({ ...base(), foo: 'bar', ui_locales: 'fr' })}`,
    );
    assert.equal(page.status, 200);
    assert.match(page.html, /name="password"/);
  });
  it('a login form posted without its CSRF token, or from another browser, is refused', async () => {
    const browser = new Browser(server.fetch);
    const login = await browser.get(`${server.url}/authorize?${new URLSearchParams(base())}`);
    const before = await ledgerHead(server);
    const forged = await browser.post(`${server.url}/login`, {
      ...login.fields,
      csrf: 'x',
      username: 'alice',
      password: alice.password,
    });
    assert.equal(forged.status, 400);
    const elsewhere = await new Browser(server.fetch).post(`${server.url}/login`, {
      ...login.fields,
      username: 'alice',
      password: alice.password,
    });
    assert.equal(elsewhere.status, 400);
    assert.equal(await ledgerHead(server), before);
  });

  /** A fresh code for spa (or `clientId`), with the Appendix B challenge. */
  async function freshCode(browser = new Browser(server.fetch), clientId = spa.clientId) {
    const page = await authorizeInBrowser(server, browser, { ...base(), client_id: clientId }, alice);
    const code = new URL(page.location!).searchParams.get('code');
    assert.ok(code, page.html.slice(0, 300));
    return code;
  }

  async function expectGrantError(form: Record<string, string>, error: string) {
    const before = await ledgerHead(server);
    const res = await postForm(server, '/token', form);
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error, error);
    assert.equal(await ledgerHead(server), before, 'nothing written');
  }

  const redeem = (code: string, extra: Record<string, string> = {}) => ({
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: VERIFIER,
    client_id: spa.clientId,
    ...extra,
  });

  it('code_verifier that does not match → invalid_grant', async () =>
    expectGrantError(redeem(await freshCode(), { code_verifier: VERIFIER.replace('d', 'e') }), 'invalid_grant'));
  it('a code_verifier outside RFC 7636 §4.1 → invalid_grant, even when its hash is the challenge', async () => {
    for (const verifier of ['a', VERIFIER.slice(0, 42), 'x'.repeat(129), `${VERIFIER.slice(0, 42)}+`]) {
      const challenge = await oauth.calculatePKCECodeChallenge(verifier);
      const page = await authorizeInBrowser(
        server,
        new Browser(server.fetch),
        { ...base(), code_challenge: challenge },
        alice,
      );
      const code = new URL(page.location!).searchParams.get('code')!;
      await expectGrantError(redeem(code, { code_verifier: verifier }), 'invalid_grant');
    }
  });
  it('missing code_verifier → invalid_grant', async () => {
    const { code_verifier: _omit, ...form } = redeem(await freshCode());
    await expectGrantError(form, 'invalid_grant');
  });
  it('another client redeeming the code → invalid_grant', async () =>
    expectGrantError(redeem(await freshCode(), { client_id: other.clientId }), 'invalid_grant'));
  it('a different redirect_uri → invalid_grant', async () =>
    expectGrantError(redeem(await freshCode(), { redirect_uri: 'https://spa.example/other' }), 'invalid_grant'));
  it('redirect_uri left out at the token endpoint when the authorization request had one → invalid_grant (RFC 6749 §4.1.3)', async () => {
    const { redirect_uri: _omit, ...form } = redeem(await freshCode());
    await expectGrantError(form, 'invalid_grant');
  });
  it('redirect_uri may be left out at the token endpoint when the authorization request left it out too', async () => {
    const { redirect_uri: _omit, ...query } = { ...base(), client_id: other.clientId };
    const page = await authorizeInBrowser(server, new Browser(server.fetch), query, alice);
    const code = new URL(page.location!).searchParams.get('code');
    assert.ok(code, page.html.slice(0, 300));
    const { redirect_uri: _also, ...form } = redeem(code, { client_id: other.clientId });
    const res = await postForm(server, '/token', form);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.token_type, 'Bearer');
  });
  it('an unknown code → invalid_grant', () => expectGrantError(redeem('tlac_unknown'), 'invalid_grant'));
  it('no code → invalid_request', () =>
    expectGrantError({ grant_type: 'authorization_code', client_id: spa.clientId }, 'invalid_request'));

  const introspect = async (token: string) =>
    (await postForm(server, '/introspect', { token }, basic(rs.clientId, rs.secret!))).body.active as boolean;

  it('a code redeemed twice → invalid_grant, and every token from the first redemption is revoked', async () => {
    const code = await freshCode();
    const first = await postForm(server, '/token', redeem(code));
    assert.equal(first.status, 200);
    assert.equal(await introspect(first.body.access_token), true);
    const before = await ledgerHead(server);
    const second = await postForm(server, '/token', redeem(code));
    assert.equal(second.status, 400);
    assert.equal(second.body.error, 'invalid_grant');
    const written = (await server.runtime.store.readAll(before, 10)).map((e) => e.type);
    assert.deepEqual(written, ['AuthorizationCodeReuseDetected', 'GrantRevoked']);
    assert.equal(await introspect(first.body.access_token), false);
    assert.equal(await introspect(first.body.refresh_token), false);
    assert.equal(
      (
        await postForm(server, '/token', {
          grant_type: 'refresh_token',
          refresh_token: first.body.refresh_token,
          client_id: spa.clientId,
        })
      ).body.error,
      'invalid_grant',
    );
  });

  it('concurrent redemptions of one code: exactly one succeeds', async () => {
    const code = await freshCode();
    const results = await Promise.all(Array.from({ length: 5 }, () => postForm(server, '/token', redeem(code))));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 400, 400, 400, 400]);
    for (const r of results.filter((x) => x.status === 400)) assert.equal(r.body.error, 'invalid_grant');
  });

  it('a rotated-out refresh token presented again → invalid_grant, RefreshTokenReuseDetected, and the whole grant revoked', async () => {
    const tokens = (await postForm(server, '/token', redeem(await freshCode()))).body;
    const rotated = (
      await postForm(server, '/token', {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: spa.clientId,
      })
    ).body;
    assert.ok(rotated.refresh_token);
    const before = await ledgerHead(server);
    const reuse = await postForm(server, '/token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: spa.clientId,
    });
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.error, 'invalid_grant');
    assert.deepEqual(
      (await server.runtime.store.readAll(before, 10)).map((e) => e.type),
      ['RefreshTokenReuseDetected', 'GrantRevoked'],
    );
    for (const t of [tokens.access_token, rotated.access_token, rotated.refresh_token])
      assert.equal(await introspect(t), false);
  });

  it('refresh asking for more scope → invalid_scope; by another client → invalid_grant; unknown → invalid_grant', async () => {
    const tokens = (await postForm(server, '/token', redeem(await freshCode()))).body;
    await expectGrantError(
      {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: spa.clientId,
        scope: 'orders:read admin',
      },
      'invalid_scope',
    );
    await expectGrantError(
      { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: other.clientId },
      'invalid_grant',
    );
    await expectGrantError(
      { grant_type: 'refresh_token', refresh_token: 'tlrt_nope', client_id: spa.clientId },
      'invalid_grant',
    );
    await expectGrantError({ grant_type: 'refresh_token', client_id: spa.clientId }, 'invalid_request');
  });

  it('concurrent refreshes with one token: exactly one succeeds', async () => {
    const tokens = (await postForm(server, '/token', redeem(await freshCode()))).body;
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        postForm(server, '/token', {
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token,
          client_id: spa.clientId,
        }),
      ),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 400, 400, 400]);
  });

  it("revoking a refresh token at /revoke revokes its grant's access tokens too", async () => {
    const tokens = (await postForm(server, '/token', redeem(await freshCode()))).body;
    assert.equal(
      (await postForm(server, '/revoke', { token: tokens.refresh_token, client_id: spa.clientId })).status,
      200,
    );
    assert.equal(await introspect(tokens.access_token), false);
    assert.equal(await introspect(tokens.refresh_token), false);
  });

  it('prompt=login shows the login page despite a session; prompt=consent shows consent again', async () => {
    const browser = new Browser(server.fetch);
    await freshCode(browser);
    const withLogin = await browser.get(
      `${server.url}/authorize?${new URLSearchParams({ ...base(), prompt: 'login' })}`,
    );
    assert.match(withLogin.html, /name="password"/);
    const withConsent = await browser.get(
      `${server.url}/authorize?${new URLSearchParams({ ...base(), prompt: 'consent' })}`,
    );
    assert.match(withConsent.html, /name="decision"/);
    const silent = await authorizeWithPkce(server, browser, spa.clientId, redirectUri, undefined, { prompt: 'none' });
    assert.ok(silent.params.get('code'), 'prompt=none with a session and consent returns a code silently');
  });

  it('a hostile state comes back unchanged and is never interpreted', async () => {
    const state = '</script><img src=x onerror=alert(1)>"\'&';
    const page = await new Browser(server.fetch).get(
      `${server.url}/authorize?${new URLSearchParams({ ...base(), response_type: 'token', state })}`,
    );
    assert.equal(new URL(page.location!).searchParams.get('state'), state);
    const formPost = await new Browser(server.fetch).get(
      `${server.url}/authorize?${new URLSearchParams({ ...base(), response_type: 'token', response_mode: 'form_post', state })}`,
    );
    assert.equal(formPost.fields.state, state);
    assert.equal(formPost.html.includes('<img'), false);
  });

  it('the PKCE helpers agree with the server on a fresh verifier', async () => {
    const run = await authorizeWithPkce(server, new Browser(server.fetch), spa.clientId, redirectUri, alice);
    const res = await postForm(server, '/token', {
      grant_type: 'authorization_code',
      code: run.params.get('code')!,
      redirect_uri: redirectUri,
      code_verifier: run.verifier,
      client_id: spa.clientId,
    });
    assert.equal(res.status, 200);
    assert.ok(oauth.generateRandomCodeVerifier().length >= 43);
  });
});
