/**
 * Web Message Response Mode in a real headless Chromium (Debian's, driven by playwright-core):
 * the browser module against the real login and consent pages, with the app on another origin.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import { registerClient } from '../helpers/oauth.js';
import { createUser } from '../helpers/flow.js';
import { chromiumSkip as skip, launchChromium, serveApp } from '../helpers/browserChromium.js';

const HOSTILE = '</script><img src=x onerror=alert(1)>"\'&\u2028';

/** The example app: the module imported from the server, results collected on window. */
function appPage(issuer: string, clientId: string, redirectUri: string): string {
  return `<!doctype html><html><body><button id="login">Sign in</button>
<script type="module">
import { loginWithPopup, authorizeSilently } from '${issuer}/sdk/web-message.js';
const opts = { issuer: '${issuer}', clientId: '${clientId}', redirectUri: '${redirectUri}', scope: 'openid profile', timeoutMs: 15000 };
window.results = [];
const record = (p) => p.then((ok) => window.results.push({ ok }), (e) => window.results.push({ err: e.error }));
document.getElementById('login').onclick = () => record(loginWithPopup(opts));
window.silent = () => record(authorizeSilently(opts));
window.messages = [];
window.addEventListener('message', (e) => window.messages.push({ origin: e.origin, data: e.data }));
window.ready = true;
</script></body></html>`;
}

const serve = (html: () => string) =>
  serveApp((_req, _body, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html()));

describe('web message response mode in Chromium', { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  let app: { server: Server; origin: string };
  let stranger: { server: Server; origin: string };
  let clientId: string;
  let redirectUri: string;
  let context: BrowserContext;

  before(async () => {
    server = await startTestServer();
    await createUser(server, 'alice', 'correct horse battery');
    let html = '';
    app = await serve(() => html);
    redirectUri = `${app.origin}/callback`;
    clientId = (
      await registerClient(
        server,
        {
          grant_types: ['authorization_code', 'refresh_token'],
          redirect_uris: [redirectUri],
          response_modes: ['query', 'web_message'],
          token_endpoint_auth_method: 'none',
          scope: 'openid profile',
        },
        null,
      )
    ).clientId;
    html = appPage(server.url, clientId, redirectUri);
    stranger = await serve(() => appPage(server.url, clientId, redirectUri));
    browser = await launchChromium();
    context = await browser.newContext();
  });
  after(async () => {
    await browser?.close();
    app?.server.close();
    stranger?.server.close();
    await server?.close();
    if (server) removeDir(server.dataDir);
  });

  async function open(ctx: BrowserContext, origin: string): Promise<Page> {
    const page = await ctx.newPage();
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    return page;
  }
  const results = (page: Page) => page.evaluate(() => (window as unknown as { results: unknown[] }).results);
  async function nextResult(page: Page, count: number) {
    await page.waitForFunction((n) => (window as unknown as { results: unknown[] }).results.length >= n, count, {
      timeout: 20_000,
    });
    return (await results(page))[count - 1] as { ok?: Record<string, string>; err?: string };
  }

  it('signs in through a popup with the real login and consent pages, and resolves with the tokens', async () => {
    const page = await open(context, app.origin);
    const [popup] = await Promise.all([context.waitForEvent('page'), page.click('#login')]);
    await popup.waitForSelector('input[name="username"]');
    await popup.fill('input[name="username"]', 'alice');
    await popup.fill('input[name="password"]', 'correct horse battery');
    await Promise.all([popup.waitForSelector('button[value="approve"]'), popup.click('button[type="submit"]')]);
    await popup.click('button[value="approve"]');
    const result = await nextResult(page, 1);
    assert.ok(result.ok?.access_token, JSON.stringify(result));
    assert.ok(result.ok?.id_token);
    assert.ok(result.ok?.refresh_token);
    assert.equal(popup.isClosed(), true, 'the popup closed itself');
  });

  it('renews silently in a hidden iframe', async () => {
    const page = await open(context, app.origin);
    await page.evaluate(() => (window as unknown as { silent: () => void }).silent());
    const result = await nextResult(page, 1);
    assert.ok(result.ok?.access_token, JSON.stringify(result));
    assert.equal(await page.locator('iframe').count(), 0, 'the iframe is removed');
  });

  it('rejects with login_required when there is no session', async () => {
    const fresh = await browser.newContext();
    const page = await open(fresh, app.origin);
    await page.evaluate(() => (window as unknown as { silent: () => void }).silent());
    assert.equal((await nextResult(page, 1)).err, 'login_required');
    await fresh.close();
  });

  it('ignores a forged message, and rejects with popup_closed when the user closes the popup', async () => {
    // No session here, so the popup waits on the login page.
    const fresh = await browser.newContext();
    const page = await open(fresh, app.origin);
    const [popup] = await Promise.all([fresh.waitForEvent('page'), page.click('#login')]);
    await popup.waitForSelector('input[name="username"]');
    await page.evaluate((iss) => {
      window.postMessage({ type: 'authorization_response', response: { code: 'forged', state: 'x', iss } }, '*');
    }, server.url);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await results(page), [], 'the forged message settled nothing');
    await popup.close();
    assert.equal((await nextResult(page, 1)).err, 'popup_closed');
    await fresh.close();
  });

  it('posts nothing to a page on an unregistered origin, popup or iframe', async () => {
    const page = await open(context, stranger.origin);
    const url = `${server.url}/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, response_type: 'code', response_mode: 'web_message', prompt: 'none', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', state: 's' })}`;
    const [popup] = await Promise.all([context.waitForEvent('page'), page.evaluate((u) => void window.open(u), url)]);
    await popup.waitForEvent('close', { timeout: 10_000 });
    await page.evaluate((u) => {
      const f = document.createElement('iframe');
      f.src = u;
      document.body.appendChild(f);
    }, url);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await page.evaluate(() => (window as unknown as { messages: unknown[] }).messages), []);
  });

  it('returns a hostile state unchanged and runs no script from it', async () => {
    const page = await open(context, app.origin);
    let dialogs = 0;
    context.on('page', (p) =>
      p.on('dialog', (d) => {
        dialogs++;
        void d.dismiss();
      }),
    );
    page.on('dialog', () => dialogs++);
    const url = `${server.url}/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, response_type: 'code', response_mode: 'web_message', prompt: 'none', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', state: HOSTILE })}`;
    await page.evaluate((u) => void window.open(u), url);
    await page.waitForFunction(() => (window as unknown as { messages: unknown[] }).messages.length > 0, undefined, {
      timeout: 10_000,
    });
    const [message] = (await page.evaluate(() => (window as unknown as { messages: unknown[] }).messages)) as Array<{
      origin: string;
      data: { type: string; response: Record<string, string> };
    }>;
    assert.equal(message.origin, server.url);
    assert.equal(message.data.type, 'authorization_response');
    assert.equal(message.data.response.state, HOSTILE);
    assert.ok(message.data.response.code);
    assert.equal(message.data.response.iss, server.url);
    assert.equal(dialogs, 0, 'no script ran');
  });
});
