import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import { basic, discover, insecure, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { Browser } from '../helpers/browser.js';
import { authorizeInBrowser, authorizeWithPkce, createUser } from '../helpers/flow.js';

describe('authorization code with PKCE', () => {
  let server: TestServer;
  let as: oauth.AuthorizationServer;
  let alice: { sub: string; username: string; password: string };
  let rs: { clientId: string; secret: string | null };
  before(async () => {
    server = await startTestServer();
    as = await discover(server);
    alice = await createUser(server, 'alice');
    rs = await registerClient(server, { scope: '' });
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const introspect = async (token: string) =>
    (await postForm(server, '/introspect', { token }, basic(rs.clientId, rs.secret!))).body as {
      active: boolean;
      token_type?: string;
      sub?: string;
    };

  it('advertises the authorization endpoint, code flow, S256 and iss in responses', async () => {
    const meta = await discover(server);
    assert.equal(meta.authorization_endpoint, `${server.url}/authorize`);
    assert.deepEqual(meta.response_types_supported, ['code']);
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
    assert.equal(meta.authorization_response_iss_parameter_supported, true);
    assert.deepEqual(meta.response_modes_supported, ['query', 'form_post', 'web_message']);
  });

  it('a public SPA client: login page, consent page, code with state and iss, PKCE exchange, refresh rotation', async () => {
    const redirectUri = 'https://spa.example/callback';
    const spa = await registerClient(
      server,
      {
        client_name: 'Orders SPA',
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: 'none',
        scope: 'orders:read orders:write',
      },
      null,
    );
    const browser = new Browser();
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const query = {
      client_id: spa.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'orders:read',
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    };

    const login = await browser.get(`${server.url}/authorize?${new URLSearchParams(query)}`);
    assert.equal(login.status, 200);
    assert.match(login.html, /name="username"/);
    assert.match(login.html, /name="password"/);
    assert.ok(login.fields.csrf && login.fields.interaction, 'the form carries a CSRF token');
    assert.equal(login.headers.get('x-frame-options'), 'DENY');
    assert.match(login.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    const consent = await browser.submit(`${server.url}/authorize`, login, {
      username: 'alice',
      password: alice.password,
    });
    assert.equal(consent.status, 200, consent.html.slice(0, 400));
    assert.match(consent.html, /Orders SPA/);
    assert.match(consent.html, /orders:read/);
    assert.match(consent.html, /name="decision" value="approve"/);
    assert.match(consent.html, /name="decision" value="deny"/);
    const session = [...browser.cookies.keys()];
    assert.ok(session.includes('tl_session'));
    const callback = await browser.submit(`${server.url}/authorize`, consent, { decision: 'approve' });
    assert.equal(callback.status, 303);
    const location = new URL(callback.location!);
    assert.equal(`${location.origin}${location.pathname}`, redirectUri);

    const params = oauth.validateAuthResponse(as, { client_id: spa.clientId }, location, state);
    const res = await oauth.authorizationCodeGrantRequest(
      as,
      { client_id: spa.clientId },
      oauth.None(),
      params,
      redirectUri,
      verifier,
      insecure,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, { client_id: spa.clientId }, res);
    assert.equal(tokens.scope, 'orders:read');
    assert.match(tokens.refresh_token!, /^tlrt_/);
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(as.jwks_uri!)), {
      typ: 'at+jwt',
    });
    assert.equal(payload.sub, alice.sub);
    assert.equal(payload.client_id, spa.clientId);
    assert.equal((await introspect(tokens.access_token)).active, true);
    assert.equal((await introspect(tokens.refresh_token!)).token_type, 'refresh_token');

    // Refresh: rotated on every use, scope may narrow.
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      { client_id: spa.clientId },
      await oauth.refreshTokenGrantRequest(
        as,
        { client_id: spa.clientId },
        oauth.None(),
        tokens.refresh_token!,
        insecure,
      ),
    );
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    assert.equal((await introspect(tokens.refresh_token!)).active, false, 'the old refresh token is rotated out');
    assert.equal((await introspect(refreshed.access_token)).active, true);

    // A second authorization for the same scopes: the session and the remembered consent skip both pages.
    const again = await authorizeWithPkce(server, browser, spa.clientId, redirectUri, undefined, {
      scope: 'orders:read',
    });
    assert.equal(again.page.status, 303, 'no page shown');
    assert.ok(again.params.get('code'));
  });

  it('a confidential web client with form_post, through openid-client', async () => {
    const redirectUri = 'https://web.example/cb';
    const web = await registerClient(server, {
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [redirectUri],
      scope: 'orders:read',
    });
    const config = await client.discovery(
      new URL(server.url),
      web.clientId,
      web.secret!,
      client.ClientSecretBasic(web.secret!),
      { execute: [client.allowInsecureRequests] },
    );
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'orders:read',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      response_mode: 'form_post',
    });
    const browser = new Browser();
    let page = await browser.get(url.toString());
    page = await browser.submit(server.url, page, { username: alice.username, password: alice.password });
    page = await browser.submit(server.url, page, { decision: 'approve' });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /form-action 'self' https:\/\/web\.example/);
    assert.match(page.html, new RegExp(`<form method="post" action="${redirectUri}">`));
    const callback = new Request(redirectUri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(page.fields).toString(),
    });
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    assert.equal(tokens.scope, 'orders:read');
    assert.ok(tokens.refresh_token);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, { scope: 'orders:read' });
    assert.ok(refreshed.access_token);
  });

  it('a native app with a private-use scheme, and one with a loopback redirect on a random port', async () => {
    const scheme = 'com.example.app:/oauth2redirect';
    const native = await registerClient(
      server,
      {
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [scheme, 'http://127.0.0.1/callback'],
        token_endpoint_auth_method: 'none',
      },
      null,
    );
    const browser = new Browser();
    for (const redirectUri of [scheme, `http://127.0.0.1:${49152 + Math.floor(Math.random() * 10000)}/callback`]) {
      const run = await authorizeWithPkce(server, browser, native.clientId, redirectUri, alice);
      assert.equal(run.page.status, 303, run.page.html.slice(0, 300));
      assert.ok(run.page.location!.startsWith(redirectUri));
      const params = oauth.validateAuthResponse(
        as,
        { client_id: native.clientId },
        new URL(run.page.location!),
        run.state,
      );
      const res = await oauth.authorizationCodeGrantRequest(
        as,
        { client_id: native.clientId },
        oauth.None(),
        params,
        redirectUri,
        run.verifier,
        insecure,
      );
      const tokens = await oauth.processAuthorizationCodeResponse(as, { client_id: native.clientId }, res);
      assert.ok(tokens.access_token);
    }
    // localhost gets no any-port exception.
    const localhost = await registerClient(
      server,
      {
        grant_types: ['authorization_code'],
        redirect_uris: ['http://localhost/cb'],
        token_endpoint_auth_method: 'none',
      },
      null,
    );
    const refused = await authorizeWithPkce(server, browser, localhost.clientId, 'http://localhost:8123/cb', alice);
    assert.equal(refused.page.status, 400);
  });

  it('accepts the RFC 7636 Appendix B verifier and challenge', async () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    assert.equal(await oauth.calculatePKCECodeChallenge(verifier), challenge);
    const redirectUri = 'https://vector.example/cb';
    const c = await registerClient(
      server,
      { grant_types: ['authorization_code'], redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' },
      null,
    );
    const page = await authorizeInBrowser(
      server,
      new Browser(),
      {
        client_id: c.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      },
      alice,
    );
    const code = new URL(page.location!).searchParams.get('code')!;
    const res = await postForm(server, '/token', {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      client_id: c.clientId,
    });
    assert.equal(res.status, 200, res.text);
  });

  it('a denied consent sends access_denied with state and iss', async () => {
    const redirectUri = 'https://deny.example/cb';
    const c = await registerClient(
      server,
      { grant_types: ['authorization_code'], redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' },
      null,
    );
    const before = await ledgerHead(server);
    const page = await authorizeInBrowser(
      server,
      new Browser(),
      {
        client_id: c.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        state: 's-1',
      },
      alice,
      'deny',
    );
    const params = new URL(page.location!).searchParams;
    assert.equal(params.get('error'), 'access_denied');
    assert.equal(params.get('state'), 's-1');
    assert.equal(params.get('iss'), server.url);
    const written = (await server.runtime.store.readAll(before, 100)).map((e) => e.type);
    assert.deepEqual(
      written,
      ['SessionStarted', 'LoginSucceeded', 'ConsentDenied'],
      'only the login and the refusal were recorded: no consent, no code',
    );
  });

  it('a wrong password shows the login page again and writes nothing', async () => {
    const redirectUri = 'https://pw.example/cb';
    const c = await registerClient(
      server,
      { grant_types: ['authorization_code'], redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' },
      null,
    );
    const before = await ledgerHead(server);
    const page = await authorizeInBrowser(
      server,
      new Browser(),
      {
        client_id: c.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      },
      { username: 'alice', password: 'wrong password' },
    );
    assert.equal(page.status, 401);
    assert.match(page.html, /Wrong username or password/);
    assert.equal(await ledgerHead(server), before);
  });
});
