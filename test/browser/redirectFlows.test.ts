/**
 * The flows a person goes through in a browser, in Debian's Chromium: login, consent and sign-out
 * forms whose answer is a 303 to another origin or a native app's scheme. Chromium applies CSP
 * form-action to the redirects that follow a form post, so each flow must end at the client with no
 * Content-Security-Policy complaint on the way.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { registerClient } from '../helpers/oauth.js';
import { createUser } from '../helpers/flow.js';
import { chromiumSkip, startChromiumFixture, watchCsp, type ChromiumFixture } from '../helpers/browserChromium.js';

const NATIVE = 'com.example.app:/cb';

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

describe('redirect flows in Chromium', { skip: chromiumSkip }, () => {
  let fixture: ChromiumFixture;
  let server: TestServer;
  let browser: Browser;
  let app: ChromiumFixture['app'];
  let spa: string;
  let native: string;
  let alice: { username: string; password: string };

  before(async () => {
    // The app: a GET or a form post to /callback shows the parameters it got.
    fixture = await startChromiumFixture((req, body, res) => {
      const params = req.method === 'POST' ? body : new URL(req.url!, 'http://x').search.slice(1);
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<!doctype html><title>app</title><pre id="params">${params.replace(/</g, '&lt;')}</pre>`);
    });
    ({ server, browser, app } = fixture);
    alice = await createUser(server, 'alice', 'correct horse battery');
    spa = (
      await registerClient(
        server,
        {
          client_name: 'Orders SPA',
          grant_types: ['authorization_code', 'refresh_token'],
          redirect_uris: [`${app.origin}/callback`],
          post_logout_redirect_uris: [`${app.origin}/signed-out`],
          token_endpoint_auth_method: 'none',
          scope: 'openid profile',
        },
        null,
      )
    ).clientId;
    native = (
      await registerClient(
        server,
        {
          client_name: 'Orders for Android',
          grant_types: ['authorization_code'],
          redirect_uris: [NATIVE],
          token_endpoint_auth_method: 'none',
          scope: 'openid',
        },
        null,
      )
    ).clientId;
  });
  after(() => fixture?.close());

  async function fresh(): Promise<{ context: BrowserContext; page: Page; csp: string[] }> {
    const context = await browser.newContext();
    const csp = await watchCsp(context);
    return { context, page: await context.newPage(), csp };
  }

  function authorizeUrl(clientId: string, redirectUri: string, challenge: string, extra: Record<string, string> = {}) {
    return `${server.url}/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256', state: 'st-1', ...extra })}`;
  }

  async function signIn(page: Page) {
    await page.getByLabel('Username').fill(alice.username);
    await page.getByLabel('Password').fill(alice.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** A browser that went through login and consent for the SPA, now back at its callback. */
  async function signedIn() {
    const session = await fresh();
    await session.page.goto(authorizeUrl(spa, `${app.origin}/callback`, pkce().challenge, { prompt: 'consent' }));
    await signIn(session.page);
    await session.page.getByRole('button', { name: 'Allow' }).click();
    await session.page.waitForURL(`${app.origin}/callback?**`);
    return session;
  }

  async function exchange(clientId: string, code: string, redirectUri: string, verifier: string) {
    const res = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: clientId,
        code_verifier: verifier,
      }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.ok(body.access_token);
    assert.ok(body.id_token);
  }

  const shownParams = async (page: Page) => new URLSearchParams((await page.locator('#params').textContent()) ?? '');

  it('query mode: login, consent, then the callback with code, state and iss; the code is redeemed', async () => {
    const { context, page, csp } = await fresh();
    const { verifier, challenge } = pkce();
    await page.goto(authorizeUrl(spa, `${app.origin}/callback`, challenge));
    await signIn(page);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${app.origin}/callback?**`);
    const params = new URL(page.url()).searchParams;
    assert.equal(params.get('state'), 'st-1');
    assert.equal(params.get('iss'), server.url);
    await exchange(spa, params.get('code')!, `${app.origin}/callback`, verifier);

    // With consent on record, the login form's own 303 goes straight to the app.
    const again = pkce();
    await page.goto(authorizeUrl(spa, `${app.origin}/callback`, again.challenge, { prompt: 'login', state: 'st-2' }));
    await signIn(page);
    await page.waitForURL(`${app.origin}/callback?**`);
    assert.equal(new URL(page.url()).searchParams.get('state'), 'st-2');
    await exchange(spa, new URL(page.url()).searchParams.get('code')!, `${app.origin}/callback`, again.verifier);
    assert.deepEqual(csp, []);
    await context.close();
  });

  it("a native app's private-use scheme: the consent form's 303 leads to com.example.app:/cb with the code", async () => {
    const { context, page, csp } = await fresh();
    const { verifier, challenge } = pkce();
    // Chromium cannot open the scheme: the test reads where the browser was sent, from the network.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const sentTo: string[] = [];
    cdp.on('Network.requestWillBeSent', (e: { request: { url: string } }) => void sentTo.push(e.request.url));
    await page.goto(authorizeUrl(native, NATIVE, challenge));
    await signIn(page);
    await page.getByRole('button', { name: 'Allow' }).click();
    const deadline = Date.now() + 10_000;
    while (!sentTo.some((u) => u.startsWith(NATIVE)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const callback = sentTo.find((u) => u.startsWith(NATIVE));
    assert.ok(callback, `never sent to the app: ${sentTo.join(' ')} ${csp.join(' ')}`);
    const params = new URL(callback).searchParams;
    assert.equal(params.get('state'), 'st-1');
    assert.equal(params.get('iss'), server.url);
    await exchange(native, params.get('code')!, NATIVE, verifier);
    assert.deepEqual(csp, []);
    await context.close();
  });

  it('form_post: the auto-posted form reaches the app with code, state and iss', async () => {
    const { context, page, csp } = await fresh();
    const { verifier, challenge } = pkce();
    await page.goto(
      authorizeUrl(spa, `${app.origin}/callback`, challenge, { response_mode: 'form_post', prompt: 'consent' }),
    );
    await signIn(page);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${app.origin}/callback`);
    const params = await shownParams(page);
    assert.equal(params.get('state'), 'st-1');
    assert.equal(params.get('iss'), server.url);
    await exchange(spa, params.get('code')!, `${app.origin}/callback`, verifier);
    assert.deepEqual(csp, []);
    await context.close();
  });

  it('RP-initiated logout: the confirmation page, then the registered post_logout_redirect_uri with state; Cancel keeps the session', async () => {
    const { context, page, csp } = await signedIn();
    const logout = `${server.url}/logout?${new URLSearchParams({ client_id: spa, post_logout_redirect_uri: `${app.origin}/signed-out`, state: 'bye' })}`;

    await page.goto(logout);
    await page.getByRole('heading', { name: 'Sign out?' }).waitFor();
    assert.match((await page.locator('main').textContent()) ?? '', /Orders SPA/);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('heading', { name: 'You are still signed in' }).waitFor();
    const cookies = await context.cookies(server.url);
    assert.ok(
      cookies.some((c) => c.name === 'tl_session'),
      'Cancel signs nobody out',
    );

    await page.goto(logout);
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL(`${app.origin}/signed-out?state=bye`);
    assert.equal(
      (await context.cookies(server.url)).some((c) => c.name === 'tl_session'),
      false,
    );
    assert.deepEqual(csp, []);
    await context.close();
  });

  it('logout without a redirect ends on the "signed out" page', async () => {
    const { context, page, csp } = await signedIn();
    await page.goto(`${server.url}/logout`);
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    assert.deepEqual(csp, []);
    await context.close();
  });

  it('an unregistered redirect_uri shows the error page, with an error code and a reference to quote', async () => {
    const { context, page, csp } = await fresh();
    const response = await page.goto(authorizeUrl(spa, 'https://evil.example/cb', pkce().challenge));
    assert.equal(response?.status(), 400);
    await page.getByRole('heading', { name: 'This request cannot continue' }).waitFor();
    const text = (await page.locator('main').textContent()) ?? '';
    assert.match(text, /redirect_uri is not registered/);
    assert.match(text, /Error code\s*invalid_request/);
    assert.match(text, /Reference\s*[0-9a-f-]{36}/);
    assert.equal(page.url().startsWith(server.url), true, 'no redirect to the unregistered URI');
    assert.deepEqual(csp, []);
    await context.close();
  });
});
