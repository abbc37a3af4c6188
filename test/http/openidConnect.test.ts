import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import * as client from 'openid-client';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import { basic, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { Browser } from '../helpers/browser.js';
import { authorizeInBrowser, createUser } from '../helpers/flow.js';

describe('OpenID Connect', () => {
  let server: TestServer;
  let alice: { sub: string; username: string; password: string };
  let rp: { clientId: string; secret: string | null };
  let config: client.Configuration;
  const redirectUri = 'https://rp.example/cb';
  const postLogout = 'https://rp.example/signed-out';
  before(async () => {
    server = await startTestServer();
    alice = await createUser(server, 'alice');
    rp = await registerClient(server, {
      client_name: 'Relying Party',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [postLogout],
      scope: 'openid profile email',
      token_endpoint_auth_method: 'client_secret_post',
    });
    config = await client.discovery(new URL(server.url), rp.clientId, rp.secret!, client.ClientSecretPost(rp.secret!), {
      execute: [client.allowInsecureRequests],
    });
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  /** The relying party's side of a login: openid-client builds the request and validates everything it gets back. */
  async function login(browser: Browser, params: Record<string, string> = {}, user: typeof alice | undefined = alice) {
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
      state,
      ...params,
    });
    const page = await authorizeInBrowser(server, browser, Object.fromEntries(url.searchParams), user);
    assert.equal(page.status, 303, page.html.slice(0, 300));
    const tokens = await client.authorizationCodeGrant(config, new URL(page.location!), {
      pkceCodeVerifier: verifier,
      expectedNonce: params.nonce === '' ? undefined : nonce,
      expectedState: state,
      idTokenExpected: true,
      ...(params.max_age ? { maxAge: Number(params.max_age) } : {}),
    });
    return { tokens, nonce };
  }

  it('discovery is complete and true to what the server does', () => {
    const m = config.serverMetadata();
    for (const field of [
      'issuer',
      'authorization_endpoint',
      'token_endpoint',
      'userinfo_endpoint',
      'jwks_uri',
      'end_session_endpoint',
      'introspection_endpoint',
      'revocation_endpoint',
    ] as const) {
      assert.ok(m[field], field);
    }
    assert.ok(m.scopes_supported?.includes('openid'));
    assert.ok(m.id_token_signing_alg_values_supported?.includes('RS256'));
    assert.deepEqual(m.subject_types_supported, ['public']);
    assert.ok(m.claims_supported?.includes('email_verified'));
    assert.equal(m.request_parameter_supported, true);
    assert.equal(m.request_uri_parameter_supported, false);
    assert.equal(m.claims_parameter_supported, false);
    assert.equal(m.backchannel_logout_supported, true);
    assert.ok(m.token_endpoint_auth_methods_supported?.includes('client_secret_post'));
    assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
  });

  it('issues an RS256 ID token that openid-client validates, with every claim the spec asks for, recorded by hash', async () => {
    const before = await ledgerHead(server);
    const { tokens, nonce } = await login(new Browser());
    const claims = tokens.claims()!;
    assert.equal(decodeProtectedHeader(tokens.id_token!).alg, 'RS256');
    assert.equal(claims.iss, server.url);
    assert.equal(claims.sub, alice.sub);
    assert.equal(claims.aud, rp.clientId);
    assert.equal(claims.azp, rp.clientId);
    assert.equal(claims.nonce, nonce);
    assert.ok(
      typeof claims.auth_time === 'number' && typeof claims.at_hash === 'string' && typeof claims.sid === 'string',
    );
    assert.deepEqual(claims.amr, ['pwd']);
    const recorded = (await server.runtime.store.readAll(before, 100)).filter((e) => e.type === 'IdTokenIssued');
    assert.equal(recorded.length, 1);
    assert.equal(
      JSON.stringify(recorded[0].data).includes(tokens.id_token!),
      false,
      'the ID token itself is not in the ledger',
    );
  });

  it('signs ID tokens ES256 for a client that registered it', async () => {
    const es = await registerClient(server, {
      grant_types: ['authorization_code'],
      redirect_uris: [redirectUri],
      scope: 'openid',
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_post',
    });
    const esConfig = await client.discovery(
      new URL(server.url),
      es.clientId,
      { client_secret: es.secret!, id_token_signed_response_alg: 'ES256' },
      client.ClientSecretPost(es.secret!),
      { execute: [client.allowInsecureRequests] },
    );
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(esConfig, {
      redirect_uri: redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const page = await authorizeInBrowser(server, new Browser(), Object.fromEntries(url.searchParams), alice);
    const tokens = await client.authorizationCodeGrant(esConfig, new URL(page.location!), {
      pkceCodeVerifier: verifier,
      idTokenExpected: true,
    });
    assert.equal(decodeProtectedHeader(tokens.id_token!).alg, 'ES256');
  });

  it('a code-flow request without nonce succeeds', async () => {
    const { tokens } = await login(new Browser(), { nonce: '' });
    assert.equal(tokens.claims()!.nonce, undefined);
  });

  it('UserInfo answers GET with a Bearer header, POST with a header, POST with a form body; claims follow scope', async () => {
    const { tokens } = await login(new Browser());
    const info = await client.fetchUserInfo(config, tokens.access_token, alice.sub);
    assert.equal(info.sub, alice.sub);
    assert.equal(info.preferred_username, 'alice');
    assert.equal(info.name, 'Alice Example');
    assert.equal(info.email, 'alice@example.com');
    assert.equal(info.email_verified, true);
    assert.equal(typeof info.updated_at, 'number');
    const viaPost = await fetch(`${server.url}/userinfo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal((await viaPost.json()).sub, alice.sub);
    const viaBody = await postForm(server, '/userinfo', { access_token: tokens.access_token });
    assert.equal(viaBody.body.sub, alice.sub);

    const { tokens: narrow } = await login(new Browser(), { scope: 'openid' });
    assert.deepEqual(Object.keys((await postForm(server, '/userinfo', { access_token: narrow.access_token })).body), [
      'sub',
    ]);
  });

  it('UserInfo refuses a bad, missing, revoked or non-openid token with the Bearer challenge', async () => {
    const bad = await fetch(`${server.url}/userinfo`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
    const none = await fetch(`${server.url}/userinfo`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
    const { tokens } = await login(new Browser());
    await client.tokenRevocation(config, tokens.access_token);
    const revoked = await fetch(`${server.url}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(revoked.status, 401, 'a revoked access token is refused at once');
    const cc = await registerClient(server, { scope: 'openid' });
    const ccToken = (
      await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(cc.clientId, cc.secret!))
    ).body.access_token;
    const forbidden = await fetch(`${server.url}/userinfo`, { headers: { authorization: `Bearer ${ccToken}` } });
    assert.equal(forbidden.status, 401, 'a client-credentials token names no user');
  });

  it('max_age forces a new login once exceeded, and auth_time moves', async () => {
    const browser = new Browser();
    const first = (await login(browser)).tokens.claims()!;
    await new Promise((r) => setTimeout(r, 2100));
    const page = await browser.get(
      `${server.url}/authorize?${new URLSearchParams({ client_id: rp.clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', max_age: '1' })}`,
    );
    assert.match(page.html, /name="password"/, 'the login page, not a code');
    const second = (await login(browser, { max_age: '1' })).tokens.claims()!;
    assert.ok((second.auth_time as number) > (first.auth_time as number), 'auth_time moved');
  });

  it('login_hint pre-fills the form; id_token_hint, ui_locales, claims_locales are accepted', async () => {
    const page = await new Browser().get(
      `${server.url}/authorize?${new URLSearchParams({ client_id: rp.clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', login_hint: 'alice', ui_locales: 'fr', claims_locales: 'fr', id_token_hint: 'x.y.z' })}`,
    );
    assert.equal(page.status, 200);
    assert.match(page.html, /name="username"[^>]*value="alice"/);
  });

  it('RP-initiated logout with id_token_hint ends the session and returns to the registered URI with state', async () => {
    const browser = new Browser();
    const { tokens } = await login(browser);
    const before = await ledgerHead(server);
    const out = await browser.get(
      `${server.url}/logout?${new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: postLogout, state: 'bye' })}`,
    );
    assert.equal(out.status, 303);
    assert.equal(out.location, `${postLogout}?state=bye`);
    assert.deepEqual(
      (await server.runtime.store.readAll(before, 10)).map((e) => e.type),
      ['SessionEnded', 'LoggedOut'],
    );
    const silent = await authorizeInBrowser(server, browser, {
      client_id: rp.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      prompt: 'none',
    });
    assert.equal(new URL(silent.location!).searchParams.get('error'), 'login_required');
  });

  it('refuses an unregistered post_logout_redirect_uri, and asks before a logout without a hint', async () => {
    const browser = new Browser();
    const { tokens } = await login(browser);
    const refused = await browser.get(
      `${server.url}/logout?${new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://evil.example/' })}`,
    );
    assert.equal(refused.status, 400);
    assert.equal(refused.location, null);
    const before = await ledgerHead(server);
    const ask = await browser.get(`${server.url}/logout`);
    assert.equal(ask.status, 200);
    assert.match(ask.html, /Sign out\?/);
    assert.equal(await ledgerHead(server), before, 'nothing happens until the user confirms');
    const done = await browser.submit(`${server.url}/logout`, ask, { decision: 'logout' });
    assert.match(done.html, /You are signed out/);
  });

  describe('back-channel logout', () => {
    let rpServer: Server;
    const received: string[] = [];
    let failFirst = 1;
    before(async () => {
      rpServer = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          received.push(new URLSearchParams(body).get('logout_token') ?? '');
          if (failFirst-- > 0) return res.writeHead(503).end();
          res.writeHead(200).end();
        });
      });
      await new Promise<void>((r) => rpServer.listen(0, '127.0.0.1', r));
    });
    after(() => new Promise<void>((r) => rpServer.close(() => r())));

    it('POSTs a signed logout token when the session ends, retrying after a failure; each attempt is an event', async () => {
      const port = (rpServer.address() as { port: number }).port;
      const bc = await registerClient(server, {
        grant_types: ['authorization_code'],
        redirect_uris: [redirectUri],
        scope: 'openid',
        backchannel_logout_uri: `http://127.0.0.1:${port}/backchannel`,
        token_endpoint_auth_method: 'client_secret_post',
      });
      const bcConfig = await client.discovery(
        new URL(server.url),
        bc.clientId,
        bc.secret!,
        client.ClientSecretPost(bc.secret!),
        { execute: [client.allowInsecureRequests] },
      );
      const browser = new Browser();
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(bcConfig, {
        redirect_uri: redirectUri,
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const page = await authorizeInBrowser(server, browser, Object.fromEntries(url.searchParams), alice);
      const tokens = await client.authorizationCodeGrant(bcConfig, new URL(page.location!), {
        pkceCodeVerifier: verifier,
        idTokenExpected: true,
      });
      const sid = tokens.claims()!.sid;
      const before = await ledgerHead(server);
      await browser.get(`${server.url}/logout?${new URLSearchParams({ id_token_hint: tokens.id_token! })}`);
      const started = Date.now();
      while (received.length < 2 && Date.now() - started < 8000) await new Promise((r) => setTimeout(r, 100));
      assert.equal(received.length, 2, 'one failed delivery, then a retry');
      const { payload, protectedHeader } = await jwtVerify(
        received[1],
        createRemoteJWKSet(new URL(`${server.url}/jwks`)),
        { issuer: server.url, audience: bc.clientId, typ: 'logout+jwt' },
      );
      assert.equal(protectedHeader.alg, 'RS256');
      assert.equal(payload.sid, sid);
      assert.equal(payload.sub, alice.sub);
      assert.deepEqual(payload.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
      assert.equal(payload.nonce, undefined);
      assert.equal(
        decodeJwt(received[0]).jti,
        payload.jti,
        'the retry carries the same jti, so the client can tell a repeat',
      );
      await new Promise((r) => setTimeout(r, 200));
      const types = (await server.runtime.store.readAll(before, 20)).map((e) => e.type);
      assert.deepEqual(types, ['SessionEnded', 'LoggedOut', 'BackchannelLogoutFailed', 'BackchannelLogoutDelivered']);
    });
  });

  it('a refresh keeps the user, and the discovery-advertised endpoints all answer', async () => {
    const { tokens } = await login(new Browser());
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    assert.ok(refreshed.access_token);
    assert.equal((await client.fetchUserInfo(config, refreshed.access_token, alice.sub)).sub, alice.sub);
  });
});
