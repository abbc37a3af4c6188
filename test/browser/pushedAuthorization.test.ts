/**
 * A pushed authorization request as a person meets it in Chromium: the client pushes its request to /par, the browser
 * is sent to /authorize with the request_uri alone, through the login and consent pages, back to the client with a
 * code; a request_uri that cannot be used is an error page, a client that requires PAR is told so at its callback.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import { createUser } from '../helpers/flow.js';
import { chromiumSkip, startChromiumFixture, watchCsp, type ChromiumFixture } from '../helpers/browserChromium.js';

describe('pushed authorization requests in Chromium', { skip: chromiumSkip }, () => {
  let fixture: ChromiumFixture;
  let server: TestServer;
  let browser: Browser;
  let callback: string;
  let web: { clientId: string; secret: string };
  let alice: { username: string; password: string };

  before(async () => {
    fixture = await startChromiumFixture((req, body, res) => {
      const params = req.method === 'POST' ? body : new URL(req.url!, 'http://x').search.slice(1);
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<!doctype html><title>app</title><pre id="params">${params.replace(/</g, '&lt;')}</pre>`);
    });
    ({ server, browser } = fixture);
    callback = `${fixture.app.origin}/callback`;
    alice = await createUser(server, 'alice', 'correct horse battery');
    const c = await registerClient(server, {
      client_name: 'Orders Web',
      grant_types: ['authorization_code'],
      redirect_uris: [callback],
      scope: 'openid orders:read',
      require_pushed_authorization_requests: true,
    });
    web = { clientId: c.clientId, secret: c.secret! };
  });
  after(() => fixture?.close());

  async function fresh(): Promise<{ context: BrowserContext; page: Page; csp: string[] }> {
    const context = await browser.newContext();
    const csp = await watchCsp(context);
    return { context, page: await context.newPage(), csp };
  }

  function pkce() {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  }

  const request = (challenge: string) => ({
    response_type: 'code',
    redirect_uri: callback,
    scope: 'openid orders:read',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st-par',
  });

  async function push(challenge: string): Promise<string> {
    const res = await postForm(server, '/par', request(challenge), basic(web.clientId, web.secret));
    assert.equal(res.status, 201, res.text);
    return res.body.request_uri as string;
  }

  const authorizeUrl = (requestUri: string) =>
    `${server.url}/authorize?${new URLSearchParams({ client_id: web.clientId, request_uri: requestUri })}`;

  it('request_uri → login page → consent page → the callback with the code, which is redeemed', async () => {
    const { context, page, csp } = await fresh();
    const { verifier, challenge } = pkce();
    const requestUri = await push(challenge);
    await page.goto(authorizeUrl(requestUri));
    await page.getByLabel('Username').fill(alice.username);
    await page.getByLabel('Password').fill(alice.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await assert.doesNotReject(page.getByText('Orders Web').first().waitFor());
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${callback}?**`);
    const params = new URL(page.url()).searchParams;
    assert.equal(params.get('state'), 'st-par', 'the pushed state comes back');
    assert.equal(params.get('iss'), server.url);
    const token = await postForm(
      server,
      '/token',
      { grant_type: 'authorization_code', code: params.get('code')!, redirect_uri: callback, code_verifier: verifier },
      basic(web.clientId, web.secret),
    );
    assert.equal(token.status, 200, token.text);
    assert.ok(token.body.id_token);

    // The same request_uri again: used up, an error page at the server (the browser is not sent anywhere).
    const reply = await page.goto(authorizeUrl(requestUri));
    assert.equal(reply?.status(), 400);
    assert.ok(page.url().startsWith(server.url));
    assert.match((await page.textContent('body')) ?? '', /already used/);
    assert.deepEqual(csp, []);
    await context.close();
  });

  it('an unknown request_uri is an error page; a front-channel request is sent back with invalid_request', async () => {
    const { context, page } = await fresh();
    const reply = await page.goto(authorizeUrl('urn:ietf:params:oauth:request_uri:forged'));
    assert.equal(reply?.status(), 400);
    assert.match((await page.textContent('body')) ?? '', /not valid/);

    await page.goto(
      `${server.url}/authorize?${new URLSearchParams({ client_id: web.clientId, ...request(pkce().challenge) })}`,
    );
    await page.waitForURL(`${callback}?**`);
    const params = new URLSearchParams((await page.locator('#params').textContent()) ?? '');
    assert.equal(params.get('error'), 'invalid_request');
    assert.match(params.get('error_description')!, /Pushed Authorization Request must be used/);
    assert.equal(params.get('state'), 'st-par');
    await context.close();
  });
});
