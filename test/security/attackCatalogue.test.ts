/**
 * The attack catalogue, front channel: one test per attack class, each named by the CWE it guards.
 * Every rejection asserts the exact error and that the ledger did not move. Token forgery and
 * assertion replay are in tokenForgery.test.ts; secrets in logs in secretHygiene.test.ts; response
 * headers in headers.test.ts.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { UnsecuredJWT } from 'jose';
import { handleClientCommand } from '../../src/application/clients.js';
import { ClientMetadataError } from '../../src/domain/clients/metadataRules.js';
import type { ClientMetadata } from '../../src/domain/clients/events.js';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';
import { ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { Browser, type Page } from '../helpers/browser.js';
import { authorizeInBrowser, createUser } from '../helpers/flow.js';
import {
  CHALLENGE,
  VERIFIER,
  assertErrorPage,
  expectAuthorizeError,
  expectErrorPage,
  expectOAuthError,
  unchangedLedger,
  webMessageResponse,
} from './support.js';

const REDIRECT = 'https://spa.example/cb';
const LOOPBACK = 'http://127.0.0.1/cb';
const POST_LOGOUT = 'https://spa.example/bye';

/** The exact error and nothing written; the response is not the test's result. */
const refuse = async (...args: Parameters<typeof expectOAuthError>): Promise<void> => {
  await expectOAuthError(...args);
};

describe('attack catalogue: authorization endpoint, code and refresh grants, logout, interaction pages', () => {
  let server: TestServer;
  let alice: { sub: string; username: string; password: string };
  let spa: string;
  let other: string;
  let localhostApp: string;
  before(async () => {
    server = await startInjectServer();
    alice = await createUser(server, 'alice');
    const pub: Partial<ClientMetadata> = {
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
      scope: 'openid orders:read',
    };
    spa = (
      await registerClient(
        server,
        {
          ...pub,
          redirect_uris: [REDIRECT, 'https://spa.example/other', LOOPBACK],
          post_logout_redirect_uris: [POST_LOGOUT],
          response_modes: ['query', 'form_post', 'web_message'],
        },
        null,
      )
    ).clientId;
    other = (
      await registerClient(
        server,
        { ...pub, redirect_uris: [REDIRECT], post_logout_redirect_uris: ['https://other.example/bye'] },
        null,
      )
    ).clientId;
    localhostApp = (await registerClient(server, { ...pub, redirect_uris: ['http://localhost/cb'] }, null)).clientId;
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const query = (extra: Record<string, string> = {}) =>
    new URLSearchParams({
      client_id: spa,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid orders:read',
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
      state: 'st',
      ...extra,
    }).toString();
  const authorizeUrl = (extra: Record<string, string> = {}) => `${server.url}/authorize?${query(extra)}`;

  /** A signed-in, consented browser and a fresh code for spa at REDIRECT. */
  async function freshCode(browser = new Browser(server.fetch), extra: Record<string, string> = {}): Promise<string> {
    const page = await authorizeInBrowser(
      server,
      browser,
      Object.fromEntries(new URLSearchParams(query(extra))),
      alice,
    );
    assert.equal(page.status, 303, page.html.slice(0, 300));
    const code = new URL(page.location!).searchParams.get('code');
    assert.ok(code);
    return code;
  }
  const redeem = (code: string, extra: Record<string, string> = {}) => ({
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
    code_verifier: VERIFIER,
    client_id: spa,
    ...extra,
  });
  const appended = async (from: bigint) => (await server.runtime.store.readAll(from, 1000)).map((e) => e.type);

  describe('CWE-601 open redirect: redirect_uri is matched exactly; a mismatch is an error page, never a redirect', () => {
    const tricks: Array<[string, string, string?]> = [
      ['case change in the path', 'https://spa.example/CB'],
      ['case change in the host', 'https://SPA.example/cb'],
      ['case change in the scheme', 'HTTPS://spa.example/cb'],
      ['trailing slash', 'https://spa.example/cb/'],
      ['extra path segment', 'https://spa.example/cb/extra'],
      ['longer last segment', 'https://spa.example/cbx'],
      ['added query', 'https://spa.example/cb?next=https://evil.example'],
      ['added fragment', 'https://spa.example/cb#x'],
      ['..;/ (path-parameter traversal)', 'https://spa.example/cb/..;/evil'],
      ['..;/ before the path', 'https://spa.example/..;/cb'],
      ['dot-segment traversal', 'https://spa.example/cb/../evil'],
      ['userinfo @ (attacker host after @)', 'https://spa.example@evil.example/cb'],
      ['userinfo @ (attacker name before @)', 'https://evil.example@spa.example/cb'],
      ['encoded @', 'https://spa.example%40evil.example/cb'],
      ['percent-encoded path', 'https://spa.example/%63b'],
      ['encoded slash traversal', 'https://spa.example/cb%2F..%2Fevil'],
      ['double-encoded traversal', 'https://spa.example/cb%252F..%252Fevil'],
      ['http downgrade', 'http://spa.example/cb'],
      ['a port on a non-loopback host', 'https://spa.example:8443/cb'],
      ['the default port spelled out', 'https://spa.example:443/cb'],
      ['localhost for a registered 127.0.0.1', 'http://localhost/cb'],
      ['localhost with a port for a registered 127.0.0.1', 'http://localhost:51234/cb'],
      ['[::1] for a registered 127.0.0.1', 'http://[::1]/cb'],
      ['loopback port followed by userinfo', 'http://127.0.0.1:8080@evil.example/cb'],
      ['loopback with a port out of range', 'http://127.0.0.1:99999/cb'],
      ['loopback with port 0', 'http://127.0.0.1:0/cb'],
      ['a port on a registered localhost (no port exception for localhost)', 'http://localhost:51234/cb', 'localhost'],
      ['127.0.0.1 for a registered localhost', 'http://127.0.0.1/cb', 'localhost'],
      ["another client's registered URI", 'https://other.example/bye'],
    ];
    for (const [label, uri, client] of tricks) {
      it(`CWE-601 open redirect: ${label} (${uri}) → error page`, async () => {
        await expectErrorPage(
          server,
          authorizeUrl({ redirect_uri: uri, ...(client ? { client_id: localhostApp } : {}) }),
          new Browser(server.fetch),
          /redirect_uri is not registered/,
        );
      });
    }
    for (const mode of ['form_post', 'web_message']) {
      it(`CWE-601 open redirect: a mismatch with response_mode=${mode} → error page, no auto-post and no postMessage`, async () => {
        const page = await expectErrorPage(
          server,
          authorizeUrl({ redirect_uri: 'https://evil.example/cb', response_mode: mode }),
        );
        assert.equal(/<form|tl-response/.test(page.html), false);
      });
    }
    it('CWE-601 open redirect: the RFC 8252 loopback exception is narrow — 127.0.0.1 with any port is the registered 127.0.0.1 URI', async () => {
      const page = await new Browser(server.fetch).get(authorizeUrl({ redirect_uri: 'http://127.0.0.1:51234/cb' }));
      assert.equal(page.status, 200);
      assert.match(page.html, /name="password"/);
    });
  });

  describe('CWE-79 / CWE-601 script-scheme redirect: javascript: (any case), data: and vbscript: URIs', () => {
    const schemes = [
      'javascript:alert(1)',
      'JavaScript:alert(document.domain)',
      'JAVASCRIPT://spa.example/%0Aalert(1)',
      'java\tscript:alert(1)',
      ' javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox(1)',
    ];
    const metadata = (uris: Partial<ClientMetadata>): ClientMetadata => ({
      grant_types: ['authorization_code'],
      redirect_uris: [REDIRECT],
      scope: 'openid',
      token_endpoint_auth_method: 'none',
      access_token_format: 'jwt',
      access_token_signing_alg: 'ES256',
      access_token_ttl: 600,
      ...uris,
    });
    for (const uri of schemes) {
      it(`CWE-79 script-scheme redirect: registration refuses ${JSON.stringify(uri)} as a redirect or post-logout URI with invalid_redirect_uri`, async () => {
        for (const field of [{ redirect_uris: [uri] }, { post_logout_redirect_uris: [uri] }]) {
          await unchangedLedger(server, () =>
            assert.rejects(
              handleClientCommand(
                server.runtime.ports,
                {
                  type: 'RegisterClient',
                  clientId: `js-${randomUUID().slice(0, 8)}`,
                  metadata: metadata(field),
                  secret: null,
                },
                { actor: 'operator:test', correlationId: randomUUID() },
              ),
              (err: unknown) => err instanceof ClientMetadataError && err.code === 'invalid_redirect_uri',
            ),
          );
        }
      });
      it(`CWE-601 script-scheme redirect: /authorize with redirect_uri=${JSON.stringify(uri)} shows an error page in every response mode`, async () => {
        for (const mode of ['query', 'form_post', 'web_message']) {
          const page = await expectErrorPage(
            server,
            authorizeUrl({ redirect_uri: uri, response_mode: mode }),
            new Browser(server.fetch),
            /redirect_uri is not registered/,
          );
          assert.equal(/javascript:|vbscript:|data:text/i.test(page.headers.get('location') ?? ''), false);
          assert.equal(/<form|tl-response/.test(page.html), false, 'nothing is posted anywhere');
        }
      });
    }
  });

  describe('CWE-757 algorithm downgrade (PKCE): S256 is the only method, and the challenge is not a verifier', () => {
    const without = (key: string) => query().replace(new RegExp(`(^|&)${key}=[^&]*`), '');
    it('CWE-757 PKCE downgrade: no code_challenge (a verifier without a challenge) → invalid_request', () =>
      expectAuthorizeError(server, without('code_challenge'), REDIRECT, 'invalid_request'));
    it('CWE-757 PKCE downgrade: code_challenge_method=plain → invalid_request', () =>
      expectAuthorizeError(
        server,
        query({ code_challenge_method: 'plain', code_challenge: VERIFIER }),
        REDIRECT,
        'invalid_request',
      ));
    it('CWE-757 PKCE downgrade: code_challenge without a method (plain by default in RFC 7636) → invalid_request', () =>
      expectAuthorizeError(server, without('code_challenge_method'), REDIRECT, 'invalid_request'));
    it('CWE-757 PKCE downgrade: code_challenge_method=s256 (wrong case) → invalid_request', () =>
      expectAuthorizeError(server, query({ code_challenge_method: 's256' }), REDIRECT, 'invalid_request'));
    it('CWE-757 PKCE downgrade: the intercepted challenge presented as the verifier (plain) → invalid_grant', async () =>
      refuse(server, '/token', redeem(await freshCode(), { code_verifier: CHALLENGE }), {}, 400, 'invalid_grant'));
    it('CWE-757 PKCE downgrade: no code_verifier at the token endpoint → invalid_grant', async () => {
      const { code_verifier: _omit, ...form } = redeem(await freshCode());
      await refuse(server, '/token', form, {}, 400, 'invalid_grant');
    });
  });

  describe('CWE-863 code injection: a code is bound to its client and redirect URI', () => {
    it('CWE-863 code injection: another client redeeming the code → invalid_grant', async () =>
      refuse(server, '/token', redeem(await freshCode(), { client_id: other }), {}, 400, 'invalid_grant'));
    it('CWE-863 code injection: another registered redirect_uri of the same client → invalid_grant', async () =>
      refuse(
        server,
        '/token',
        redeem(await freshCode(), { redirect_uri: 'https://spa.example/other' }),
        {},
        400,
        'invalid_grant',
      ));
    it('CWE-863 code injection: an unregistered redirect_uri → invalid_grant', async () =>
      refuse(
        server,
        '/token',
        redeem(await freshCode(), { redirect_uri: 'https://evil.example/cb' }),
        {},
        400,
        'invalid_grant',
      ));
    it('CWE-863 code injection: a refresh token presented by another client → invalid_grant', async () => {
      const tokens = (await postForm(server, '/token', redeem(await freshCode()))).body;
      await refuse(
        server,
        '/token',
        { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: other },
        {},
        400,
        'invalid_grant',
      );
    });
  });

  describe('CWE-362 race condition: one code, one refresh token, exactly one winner', () => {
    const N = 50;
    it(`CWE-362 race condition: ${N} concurrent redemptions of one code → exactly one 200, ${N - 1} invalid_grant, one AuthorizationCodeRedeemed`, async () => {
      const code = await freshCode();
      const before = await ledgerHead(server);
      const results = await Promise.all(Array.from({ length: N }, () => postForm(server, '/token', redeem(code))));
      assert.equal(results.filter((r) => r.status === 200).length, 1);
      for (const r of results.filter((x) => x.status !== 200))
        assert.deepEqual([r.status, r.body.error], [400, 'invalid_grant']);
      const types = await appended(before);
      assert.equal(types.filter((t) => t === 'AuthorizationCodeRedeemed').length, 1);
      assert.equal(types.filter((t) => t === 'AccessTokenIssued').length, 1);
      // The losers came after the winner: the code was replayed, so the grant dies (RFC 6749 §4.1.2).
      assert.ok(types.filter((t) => t === 'GrantRevoked').length <= 1);
    });
    it(`CWE-362 race condition: ${N} concurrent refreshes with one refresh token → exactly one 200, one RefreshTokenRotated`, async () => {
      const tokens = (await postForm(server, '/token', redeem(await freshCode()))).body;
      const before = await ledgerHead(server);
      const results = await Promise.all(
        Array.from({ length: N }, () =>
          postForm(server, '/token', {
            grant_type: 'refresh_token',
            refresh_token: tokens.refresh_token,
            client_id: spa,
          }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 200).length, 1);
      for (const r of results.filter((x) => x.status !== 200))
        assert.deepEqual([r.status, r.body.error], [400, 'invalid_grant']);
      const types = await appended(before);
      assert.equal(types.filter((t) => t === 'RefreshTokenRotated').length, 1);
      assert.equal(types.filter((t) => t === 'RefreshTokenIssued').length, 1);
    });
  });

  describe('CWE-346 mix-up (RFC 9207): iss in every authorization response, success and error, in every mode', () => {
    const responseOf = (page: Page, mode: string): Record<string, string> => {
      if (mode === 'query') return Object.fromEntries(new URL(page.location!).searchParams);
      if (mode === 'form_post') return page.fields;
      return webMessageResponse(page).response;
    };
    for (const mode of ['query', 'form_post', 'web_message']) {
      it(`CWE-346 mix-up: response_mode=${mode} success carries iss and state`, async () => {
        const browser = new Browser(server.fetch);
        await freshCode(browser);
        const page = await browser.get(authorizeUrl({ response_mode: mode }));
        const response = responseOf(page, mode);
        assert.ok(response.code, JSON.stringify(response));
        assert.equal(response.iss, server.url);
        assert.equal(response.state, 'st');
      });
      it(`CWE-346 mix-up: response_mode=${mode} error carries iss and state`, async () => {
        const page = await unchangedLedger(server, () =>
          new Browser(server.fetch).get(authorizeUrl({ response_mode: mode, prompt: 'none' })),
        );
        assert.deepEqual(responseOf(page, mode), {
          error: 'login_required',
          error_description: 'the user is not signed in',
          state: 'st',
          iss: server.url,
        });
      });
    }
    it('CWE-346 mix-up: a denied consent (access_denied) and a validation error carry iss', async () => {
      const browser = new Browser(server.fetch);
      const consent = await authorizeInBrowser(
        server,
        browser,
        Object.fromEntries(new URLSearchParams(query({ client_id: other }))),
        alice,
        'deny',
      );
      const denied = new URL(consent.location!);
      assert.equal(denied.searchParams.get('error'), 'access_denied');
      assert.equal(denied.searchParams.get('iss'), server.url);
      await expectAuthorizeError(server, query({ response_type: 'token' }), REDIRECT, 'unsupported_response_type');
    });
  });

  describe('CWE-601 open redirect at logout: only a registered post_logout_redirect_uri of the right client', () => {
    /** An OIDC login in `browser` and its ID token. */
    async function idToken(browser: Browser): Promise<string> {
      const tokens = (await postForm(server, '/token', redeem(await freshCode(browser)))).body;
      assert.ok(tokens.id_token);
      return tokens.id_token;
    }
    const NOT_REGISTERED = /post_logout_redirect_uri is not registered/;
    const cases: Array<[string, (hint: string) => Record<string, string>, RegExp]> = [
      [
        'an unregistered URI with id_token_hint',
        (hint) => ({ id_token_hint: hint, post_logout_redirect_uri: 'https://evil.example/' }),
        NOT_REGISTERED,
      ],
      [
        'an unregistered URI with client_id',
        () => ({ client_id: spa, post_logout_redirect_uri: 'https://evil.example/' }),
        NOT_REGISTERED,
      ],
      ['a URI with no client named', () => ({ post_logout_redirect_uri: POST_LOGOUT }), NOT_REGISTERED],
      [
        "another client's registered URI",
        (hint) => ({ id_token_hint: hint, post_logout_redirect_uri: 'https://other.example/bye' }),
        NOT_REGISTERED,
      ],
      [
        'the registered URI with a trailing slash',
        (hint) => ({ id_token_hint: hint, post_logout_redirect_uri: `${POST_LOGOUT}/` }),
        NOT_REGISTERED,
      ],
      [
        'the registered URI in another case',
        (hint) => ({ id_token_hint: hint, post_logout_redirect_uri: POST_LOGOUT.toUpperCase() }),
        NOT_REGISTERED,
      ],
      [
        'a javascript: URI',
        (hint) => ({ id_token_hint: hint, post_logout_redirect_uri: 'javascript:alert(1)' }),
        NOT_REGISTERED,
      ],
      [
        'client_id disagreeing with the hint',
        (hint) => ({ id_token_hint: hint, client_id: other, post_logout_redirect_uri: 'https://other.example/bye' }),
        /client_id does not match the id_token_hint/,
      ],
      [
        'a forged id_token_hint',
        (hint) => ({ id_token_hint: `${hint.slice(0, -4)}AAAA`, post_logout_redirect_uri: POST_LOGOUT }),
        /id_token_hint is not an ID token issued by this server/,
      ],
      [
        'an alg none id_token_hint naming the signed-in user',
        () => ({
          id_token_hint: new UnsecuredJWT({ sub: alice.sub, aud: spa }).setIssuer(server.url).encode(),
          post_logout_redirect_uri: POST_LOGOUT,
        }),
        /id_token_hint is not an ID token issued by this server/,
      ],
    ];
    for (const [label, params, message] of cases) {
      it(`CWE-601 open redirect at logout: ${label} → error page, session kept`, async () => {
        const browser = new Browser(server.fetch);
        const hint = await idToken(browser);
        const page = await unchangedLedger(server, () =>
          browser.get(`${server.url}/logout?${new URLSearchParams(params(hint))}`),
        );
        assertErrorPage(page, message);
        const silent = await browser.get(authorizeUrl({ prompt: 'none' }));
        assert.ok(new URL(silent.location!).searchParams.get('code'), 'the session survived');
      });
    }
    it("CWE-287 token confusion at logout: the user's own access token as id_token_hint → error page, session kept", async () => {
      const browser = new Browser(server.fetch);
      const tokens = (await postForm(server, '/token', redeem(await freshCode(browser)))).body;
      const hint = { id_token_hint: tokens.access_token, post_logout_redirect_uri: POST_LOGOUT };
      const page = await unchangedLedger(server, () =>
        browser.get(`${server.url}/logout?${new URLSearchParams(hint)}`),
      );
      assertErrorPage(page, /id_token_hint is not an ID token issued by this server/);
      const silent = await browser.get(authorizeUrl({ prompt: 'none' }));
      assert.ok(new URL(silent.location!).searchParams.get('code'), 'the session survived');
    });
    it('CWE-601 open redirect at logout: the registered URI with a valid hint does redirect (control)', async () => {
      const browser = new Browser(server.fetch);
      const page = await browser.get(
        `${server.url}/logout?${new URLSearchParams({ id_token_hint: await idToken(browser), post_logout_redirect_uri: POST_LOGOUT, state: 's' })}`,
      );
      assert.equal(page.status, 303);
      assert.equal(page.location, `${POST_LOGOUT}?state=s`);
    });
  });

  describe('CWE-352 cross-site request forgery: login, consent and logout forms', () => {
    const INVALID = /has expired or was not sent by this browser/;
    async function refused(browser: Browser, path: string, form: Record<string, string>) {
      const page = await unchangedLedger(server, () => browser.post(`${server.url}${path}`, form));
      assertErrorPage(page, INVALID);
      assert.equal(
        page.headers.getSetCookie().some((c) => c.startsWith('tl_session=')),
        false,
        'no session started',
      );
      return page;
    }
    it('CWE-352 CSRF: the binding cookie is HttpOnly and SameSite=Lax, and the forms carry a CSRF token', async () => {
      const browser = new Browser(server.fetch);
      const login = await browser.get(authorizeUrl());
      const cookie = login.headers.getSetCookie().find((c) => c.startsWith('tl_bind='));
      assert.match(cookie ?? '', /HttpOnly/i);
      assert.match(cookie ?? '', /SameSite=Lax/i);
      assert.ok(login.fields.csrf && login.fields.interaction);
    });
    it("CWE-352 CSRF on login: missing, forged, or another browser's token → error page, nothing written", async () => {
      const browser = new Browser(server.fetch);
      const login = await browser.get(authorizeUrl());
      const creds = { username: 'alice', password: alice.password };
      const { csrf: _drop, ...noCsrf } = login.fields;
      await refused(browser, '/login', { ...noCsrf, ...creds });
      await refused(browser, '/login', { ...login.fields, csrf: 'forged', ...creds });
      await refused(browser, '/login', {
        ...login.fields,
        csrf: login.fields.csrf.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
        ...creds,
      });
      // The attacker's own, valid form, posted from the victim's browser (a different binding cookie).
      const victim = new Browser(server.fetch);
      await victim.get(authorizeUrl());
      await refused(victim, '/login', { ...login.fields, ...creds });
      // No cookie at all (a cross-site POST carries no SameSite=Lax cookie).
      await refused(new Browser(server.fetch), '/login', { ...login.fields, ...creds });
    });
    it('CWE-352 CSRF on login: a tampered sealed interaction → error page, nothing written', async () => {
      const browser = new Browser(server.fetch);
      const login = await browser.get(authorizeUrl());
      const sealed = login.fields.interaction;
      const flipped = `${sealed.slice(0, 20)}${sealed[20] === 'A' ? 'B' : 'A'}${sealed.slice(21)}`;
      await refused(browser, '/login', {
        ...login.fields,
        interaction: flipped,
        username: 'alice',
        password: alice.password,
      });
    });
    it("CWE-352 CSRF on consent: missing, forged, or another browser's token → error page, no consent written", async () => {
      const browser = new Browser(server.fetch);
      const login = await browser.get(authorizeUrl({ client_id: localhostApp, redirect_uri: 'http://localhost/cb' }));
      const consent = await browser.submit(`${server.url}/authorize`, login, {
        username: 'alice',
        password: alice.password,
      });
      assert.match(consent.html, /name="decision"/, 'the consent page');
      const { csrf: _drop, ...noCsrf } = consent.fields;
      await refused(browser, '/consent', { ...noCsrf, decision: 'approve' });
      await refused(browser, '/consent', { ...consent.fields, csrf: 'forged', decision: 'approve' });
      const victim = new Browser(server.fetch);
      await authorizeInBrowser(server, victim, Object.fromEntries(new URLSearchParams(query())), alice);
      await refused(victim, '/consent', { ...consent.fields, decision: 'approve' });
    });
    it('CWE-352 CSRF on logout: a logout without a hint asks first; a forged confirmation → error page, session kept', async () => {
      const browser = new Browser(server.fetch);
      await freshCode(browser);
      const ask = await unchangedLedger(server, () => browser.get(`${server.url}/logout`));
      assert.match(ask.html, /Sign out\?/);
      await refused(browser, '/logout/confirm', { ...ask.fields, csrf: 'forged', decision: 'logout' });
      await refused(new Browser(server.fetch), '/logout/confirm', { ...ask.fields, decision: 'logout' });
      const silent = await browser.get(authorizeUrl({ prompt: 'none' }));
      assert.ok(new URL(silent.location!).searchParams.get('code'), 'still signed in');
    });
    it('CWE-352 CSRF on logout: a cross-site GET /logout with the day-long session cookie but no tl_bind asks first and ends nothing', async () => {
      const browser = new Browser(server.fetch);
      await freshCode(browser);
      // A new browser session (tl_bind is gone) with the session cookie still there: what a cross-site link meets.
      const crossSite = new Browser(server.fetch);
      crossSite.cookies.set('tl_session', browser.cookies.get('tl_session')!);
      const ask = await unchangedLedger(server, () =>
        crossSite.get(
          `${server.url}/logout?${new URLSearchParams({ client_id: spa, post_logout_redirect_uri: POST_LOGOUT })}`,
        ),
      );
      assert.equal(ask.status, 200);
      assert.equal(ask.location, null);
      assert.match(ask.html, /Sign out\?/);
      assert.equal(
        ask.headers.getSetCookie().some((c) => c.startsWith('tl_session=')),
        false,
        'the session cookie is left alone',
      );
      const silent = await browser.get(authorizeUrl({ prompt: 'none' }));
      assert.ok(new URL(silent.location!).searchParams.get('code'), 'still signed in');
      // The user who does want to sign out confirms, in that browser.
      const done = await crossSite.submit(`${server.url}/logout`, ask, { decision: 'logout' });
      assert.equal(done.status, 303);
      assert.equal(done.location, POST_LOGOUT);
      const after = await browser.get(authorizeUrl({ prompt: 'none' }));
      assert.equal(new URL(after.location!).searchParams.get('error'), 'login_required');
    });
    it('CWE-352 purpose confusion: each sealed form (login, consent, logout) posted to another form → error page, nothing written, no session', async () => {
      const browser = new Browser(server.fetch);
      const login = await browser.get(authorizeUrl({ prompt: 'consent' }));
      assert.match(login.html, /name="password"/);
      const consent = await browser.submit(`${server.url}/authorize`, login, {
        username: 'alice',
        password: alice.password,
      });
      assert.match(consent.html, /name="decision"/, 'the consent page');
      const logout = await browser.get(`${server.url}/logout`);
      assert.match(logout.html, /Sign out\?/);
      const forms = { '/login': login, '/consent': consent, '/logout/confirm': logout };
      const answers = { username: 'alice', password: alice.password, decision: 'approve' };
      for (const [own, page] of Object.entries(forms)) {
        for (const target of Object.keys(forms).filter((t) => t !== own)) {
          // A fresh browser with the same binding but no session: /login must not start one.
          const cold = new Browser(server.fetch);
          cold.cookies.set('tl_bind', browser.cookies.get('tl_bind')!);
          await refused(cold, target, { ...page.fields, ...answers });
          await refused(browser, target, {
            ...page.fields,
            ...answers,
            decision: target === '/logout/confirm' ? 'logout' : 'approve',
          });
        }
      }
      const silent = await browser.get(authorizeUrl({ prompt: 'none' }));
      assert.ok(new URL(silent.location!).searchParams.get('code'), 'still signed in');
    });
  });

  describe('CWE-1021 clickjacking: no page that takes a decision can be framed', () => {
    const denyFraming = (page: Page, what: string) => {
      assert.equal(page.headers.get('x-frame-options'), 'DENY', what);
      assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, what);
    };
    it("CWE-1021 clickjacking: login, consent, logout confirmation, signed-out and error pages send frame-ancestors 'none' and X-Frame-Options: DENY", async () => {
      const browser = new Browser(server.fetch);
      const login = await browser.get(authorizeUrl({ client_id: localhostApp, redirect_uri: 'http://localhost/cb' }));
      denyFraming(login, 'login');
      const consent = await browser.submit(`${server.url}/authorize`, login, {
        username: 'alice',
        password: alice.password,
      });
      assert.match(consent.html, /name="decision"/);
      denyFraming(consent, 'consent');
      const ask = await browser.get(`${server.url}/logout`);
      assert.match(ask.html, /Sign out\?/);
      denyFraming(ask, 'logout confirmation');
      const out = await browser.submit(`${server.url}/logout`, ask, { decision: 'logout' });
      assert.match(out.html, /signed out/);
      denyFraming(out, 'signed out');
      denyFraming(
        await new Browser(server.fetch).get(authorizeUrl({ redirect_uri: 'https://evil.example/' })),
        'error page',
      );
      const explorer = await server.fetch(`${server.url}/console/graphiql`);
      assert.equal(explorer.headers.get('x-frame-options'), 'DENY', 'GraphQL explorer');
      assert.match(explorer.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, 'GraphQL explorer');
    });
    it("CWE-1021 clickjacking: the web_message page may be framed by the client's own origin only (silent renewal), and says so without X-Frame-Options", async () => {
      const page = await new Browser(server.fetch).get(authorizeUrl({ response_mode: 'web_message', prompt: 'none' }));
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors https:\/\/spa\.example(;|$)/);
      assert.equal(page.headers.get('x-frame-options'), null);
      assert.equal(webMessageResponse(page).targetOrigin, 'https://spa.example');
    });
  });
});
