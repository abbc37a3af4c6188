/**
 * What a person sees on the login, consent, sign-out and error pages, in Debian's Chromium: the
 * language (ui_locales, then Accept-Language), labels and focus, contrast, the application's name,
 * logo and home page, and "Not you?". Set TOKEN_LEDGER_SCREENSHOTS to a folder to keep screenshots.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { registerClient } from '../helpers/oauth.js';
import { createUser } from '../helpers/flow.js';
import { chromiumSkip, startChromiumFixture, watchCsp, type ChromiumFixture } from '../helpers/browserChromium.js';

const LOGO = 'https://cdn.example/orders/logo.svg';
const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48"><rect width="48" height="48" rx="10" fill="#1a7f37"/><text x="24" y="32" font-size="22" text-anchor="middle" fill="#fff" font-family="sans-serif">O</text></svg>';

async function screenshot(page: Page, name: string) {
  const dir = process.env.TOKEN_LEDGER_SCREENSHOTS;
  if (dir) await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/** WCAG 2.2 contrast ratio of an element's text against its background (or the card's white). */
function contrastOf(page: Page, selector: string): Promise<number> {
  return page
    .locator(selector)
    .first()
    .evaluate((el) => {
      const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
      const lum = (c: number[]) => {
        const [r, g, b] = c.map((v) => {
          const s = v / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const style = getComputedStyle(el);
      const bg = style.backgroundColor === 'rgba(0, 0, 0, 0)' ? 'rgb(255, 255, 255)' : style.backgroundColor;
      const [a, b] = [lum(rgb(style.color)), lum(rgb(bg))].sort((x, y) => y - x);
      return (a + 0.05) / (b + 0.05);
    });
}

describe('the pages a person sees, in Chromium', { skip: chromiumSkip }, () => {
  let fixture: ChromiumFixture;
  let server: TestServer;
  let browser: Browser;
  let app: ChromiumFixture['app'];
  let branded: string;
  let plain: string;
  let alice: { username: string; password: string };
  let bob: { username: string; password: string };

  before(async () => {
    fixture = await startChromiumFixture((_req, _body, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>app</title><p>app'),
    );
    ({ server, browser, app } = fixture);
    alice = await createUser(server, 'alice', 'correct horse battery');
    bob = await createUser(server, 'bob', 'battery staple horse');
    const common = {
      grant_types: ['authorization_code' as const],
      redirect_uris: [`${app.origin}/callback`],
      post_logout_redirect_uris: [`${app.origin}/bye`],
      token_endpoint_auth_method: 'none' as const,
      scope: 'openid profile email',
    };
    branded = (
      await registerClient(
        server,
        { ...common, client_name: 'Orders', logo_uri: LOGO, client_uri: 'https://orders.example/' },
        null,
      )
    ).clientId;
    plain = (await registerClient(server, common, null)).clientId;
  });
  after(() => fixture?.close());

  async function fresh(
    options: { locale?: string } = {},
  ): Promise<{ context: BrowserContext; page: Page; csp: string[]; logoRequests: string[] }> {
    const context = await browser.newContext({
      locale: options.locale ?? 'en-US',
      viewport: { width: 800, height: 700 },
    });
    const csp = await watchCsp(context);
    const logoRequests: string[] = [];
    // No network here: the logo's https origin is answered by the test, after Chromium's CSP check.
    await context.route('https://cdn.example/**', (route) => {
      logoRequests.push(route.request().url());
      return route.fulfill({ status: 200, contentType: 'image/svg+xml', body: LOGO_SVG });
    });
    return { context, page: await context.newPage(), csp, logoRequests };
  }

  function authorizeUrl(clientId: string, extra: Record<string, string> = {}) {
    const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
    return `${server.url}/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: `${app.origin}/callback`, response_type: 'code', scope: 'openid profile', code_challenge: challenge, code_challenge_method: 'S256', state: 's', prompt: 'consent', ...extra })}`;
  }

  const lang = (page: Page) => page.locator('html').getAttribute('lang');
  const heading = async (page: Page) => ((await page.locator('h1').textContent()) ?? '').trim();

  it('login and consent: labelled fields, focus on the first, the app named with its logo and home page, Allow first and primary', async () => {
    const { context, page, csp, logoRequests } = await fresh();
    await page.goto(authorizeUrl(branded));
    assert.equal(await lang(page), 'en');
    assert.equal(await heading(page), 'Sign in to continue to Orders');
    // Every field a person fills has a label that names it.
    const unlabelled = await page
      .locator('input:not([type=hidden])')
      .evaluateAll((inputs) => inputs.filter((i) => (i as HTMLInputElement).labels?.length === 0).length);
    assert.equal(unlabelled, 0);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'username');
    const logo = page.getByRole('img', { name: 'Orders logo' });
    await logo.waitFor();
    await page.waitForFunction(() => document.querySelector<HTMLImageElement>('.app img')?.naturalWidth === 48);
    assert.deepEqual(logoRequests, [LOGO]);
    assert.equal(
      await page.getByRole('link', { name: /orders\.example/ }).getAttribute('href'),
      'https://orders.example/',
    );
    assert.ok((await contrastOf(page, 'button.primary')) >= 4.5, 'the primary button is readable');
    assert.ok((await contrastOf(page, 'label')) >= 4.5, 'labels are readable');
    await screenshot(page, 'login');

    await page.getByLabel('Username').fill(alice.username);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    assert.equal(await page.getByRole('alert').textContent(), 'Wrong username or password.');
    assert.equal(await page.getByLabel('Password').getAttribute('aria-invalid'), 'true');
    assert.equal(
      await page.evaluate(() => document.activeElement?.id),
      'password',
      'the username is kept, the password asked again',
    );
    await screenshot(page, 'login-error');

    await page.getByLabel('Password').fill(alice.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Orders wants to access your account' }).waitFor();
    const buttons = page.locator('form[action="consent"] button');
    assert.deepEqual(await buttons.allTextContents(), ['Allow', 'Deny']);
    assert.match((await buttons.first().getAttribute('class')) ?? '', /primary/);
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLButtonElement | null)?.value), 'approve');
    assert.match((await page.locator('.account').textContent()) ?? '', /Signed in as alice/);
    assert.match((await page.locator('main').textContent()) ?? '', /See your name and profile \(profile\)/);
    assert.doesNotMatch((await page.locator('main').textContent()) ?? '', new RegExp(branded), 'the name, not the id');
    await screenshot(page, 'consent');
    assert.deepEqual(csp, []);
    await context.close();
  });

  it("the logo's origin is the page's only image source", async () => {
    const res = await fetch(authorizeUrl(branded));
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /(^|; )img-src https:\/\/cdn\.example(;|$)/);
    const bare = (await fetch(authorizeUrl(plain))).headers.get('content-security-policy') ?? '';
    assert.doesNotMatch(bare, /img-src/, 'no logo, no image source');
  });

  it('an application without a name is shown by its id, without a logo', async () => {
    const { context, page, csp } = await fresh();
    await page.goto(authorizeUrl(plain));
    assert.equal(await heading(page), `Sign in to continue to ${plain}`);
    assert.equal(await page.locator('img').count(), 0);
    assert.deepEqual(csp, []);
    await context.close();
  });

  it('"Not you?" signs the account out and continues the same request as someone else', async () => {
    const { context, page, csp } = await fresh();
    await page.goto(authorizeUrl(branded));
    await page.getByLabel('Username').fill(alice.username);
    await page.getByLabel('Password').fill(alice.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Not you? Use another account' }).click();
    await page.getByRole('heading', { name: 'Sign in to continue to Orders' }).waitFor();
    await page.getByLabel('Username').fill(bob.username);
    await page.getByLabel('Password').fill(bob.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Orders wants to access your account' }).waitFor();
    assert.match((await page.locator('.account').textContent()) ?? '', /Signed in as bob/);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${app.origin}/callback?**`);
    assert.ok(new URL(page.url()).searchParams.get('code'));
    assert.deepEqual(csp, []);
    await context.close();
  });

  it('ui_locales picks the wording and the lang attribute, and the choice carries through the forms', async () => {
    const { context, page, csp } = await fresh({ locale: 'en-US' });
    await page.goto(authorizeUrl(branded, { ui_locales: 'fr-CA de-CH en' }));
    assert.equal(await lang(page), 'de');
    assert.equal(await heading(page), 'Anmelden, um mit Orders fortzufahren');
    await page.getByLabel('Benutzername').fill(alice.username);
    await page.getByLabel('Passwort').fill(alice.password);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.getByRole('heading', { name: 'Orders möchte auf Ihr Konto zugreifen' }).waitFor();
    assert.equal(await lang(page), 'de');
    assert.deepEqual(await page.locator('form[action="consent"] button').allTextContents(), ['Erlauben', 'Ablehnen']);
    await screenshot(page, 'consent-de');
    assert.deepEqual(csp, []);
    await context.close();
  });

  it('Accept-Language is the fallback; English when nothing matches', async () => {
    const german = await fresh({ locale: 'de-DE' });
    await german.page.goto(authorizeUrl(branded));
    assert.equal(await lang(german.page), 'de');
    assert.equal(await heading(german.page), 'Anmelden, um mit Orders fortzufahren');
    await german.page.goto(authorizeUrl(branded, { ui_locales: 'en' }));
    assert.equal(await lang(german.page), 'en', 'ui_locales comes first');
    await german.context.close();
    const other = await fresh({ locale: 'ja-JP' });
    await other.page.goto(authorizeUrl(branded, { ui_locales: 'fr' }));
    assert.equal(await lang(other.page), 'en');
    await other.context.close();
  });

  it('the sign-out page names the app and offers Cancel; the error page gives a next step and a code, in German too', async () => {
    const { context, page, csp } = await fresh({ locale: 'de-DE' });
    await page.goto(authorizeUrl(branded));
    await page.getByLabel('Benutzername').fill(alice.username);
    await page.getByLabel('Passwort').fill(alice.password);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.getByRole('button', { name: 'Erlauben' }).click();
    await page.waitForURL(`${app.origin}/callback?**`);
    await page.goto(
      `${server.url}/logout?${new URLSearchParams({ client_id: branded, post_logout_redirect_uri: `${app.origin}/bye`, ui_locales: 'en' })}`,
    );
    assert.equal(await lang(page), 'en');
    assert.equal(await heading(page), 'Sign out?');
    assert.match((await page.locator('main').textContent()) ?? '', /Orders asks to sign you out/);
    assert.deepEqual(await page.locator('form button').allTextContents(), ['Sign out', 'Cancel']);
    await screenshot(page, 'sign-out');
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL(`${app.origin}/bye`);

    await page.goto(`${server.url}/logout`);
    assert.equal(await heading(page), 'Sie sind abgemeldet');
    await screenshot(page, 'signed-out-de');

    const res = await page.goto(`${server.url}/authorize?client_id=nobody`);
    assert.equal(res?.status(), 400);
    assert.equal(await lang(page), 'de');
    assert.equal(await heading(page), 'Diese Anfrage kann nicht fortgesetzt werden');
    const text = (await page.locator('main').textContent()) ?? '';
    assert.match(text, /Kehren Sie zur Anwendung zurück/);
    assert.match(text, /Fehlercode\s*invalid_request/);
    await screenshot(page, 'error-de');
    assert.deepEqual(csp, []);
    await context.close();
  });
});
