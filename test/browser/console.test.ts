/**
 * Issue 22: the operator console in Chromium: sign-in through the login page, the dashboard updating live, search,
 * the refusal of a person without a role (UI and API), an auditor's read-only view, accessibility (axe), 390 px, and
 * the screenshots (test/helpers/console.ts: SCREENSHOTS_DIR).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { chromiumSkip as skip, launchChromium, watchCsp } from '../helpers/browserChromium.js';
import {
  axeCheck,
  screenshot,
  scrollsSideways,
  signInToConsole,
  startConsoleServer,
  type ConsoleServer,
} from '../helpers/console.js';
import { basic, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';

/** The console's stored session (the sessionStorage contract in docs/console.md). */
const storedSession = (page: Page) =>
  page.evaluate(() => JSON.parse(sessionStorage.getItem('token-ledger-console') ?? 'null') as Record<string, unknown>);

describe('the operator console in Chromium', { skip }, () => {
  let server: ConsoleServer;
  let browser: Browser;
  let machine: { clientId: string; secret: string };

  /** A client-credentials token, as a service would get one: what the dashboard and search should show. */
  const issueToken = async () => {
    const res = await postForm(
      server.server,
      '/token',
      { grant_type: 'client_credentials' },
      basic(machine.clientId, machine.secret),
    );
    assert.equal(res.status, 200, res.text);
    const [, payload] = (res.body.access_token as string).split('.');
    return JSON.parse(Buffer.from(payload, 'base64url').toString()).jti as string;
  };

  const graphql = async (token: string, query: string) => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    });
    return (await res.json()) as { data?: any; errors?: { message: string; extensions: { code: string } }[] };
  };

  before(async () => {
    server = await startConsoleServer();
    const c = await registerClient(server.server, { scope: 'orders:read' });
    machine = { clientId: c.clientId, secret: c.secret! };
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows a sign-in screen first, which passes axe', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const csp = await watchCsp(context);
    const page = await context.newPage();
    await page.goto(`${server.url}/console/search?client=x`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await axeCheck(page, 'sign-in');
    await screenshot(page, 'signin');
    assert.deepEqual(csp, []);
    await context.close();
  });

  it('an operator signs in through the login page, lands on the dashboard, and it updates when a token is issued', async () => {
    await issueToken();
    const page = await signInToConsole(browser, server, 'operator');
    const csp = await watchCsp(page.context());
    assert.equal(new URL(page.url()).pathname, '/console/');
    assert.equal(await page.locator('h1').first().textContent(), 'Dashboard');
    const session = await storedSession(page);
    assert.match(String(session.scope), /\bledger:admin\b/);
    assert.equal(typeof session.refresh_token, 'string');
    assert.ok(Number(session.expires_at) > Date.now());

    const issued = page.locator('[data-stat="issued"]');
    await issued.waitFor();
    const before = Number(await issued.textContent());
    await page.getByText('Live: updates as events are appended').waitFor();
    await issueToken();
    await page.waitForFunction((n) => Number(document.querySelector('[data-stat="issued"]')?.textContent) > n, before, {
      timeout: 10_000,
    });
    assert.equal((await page.locator('.chart canvas').count()) >= 2, true, 'the two charts are drawn');
    await page.locator('[data-stat="liveTokens"]').waitFor();
    await axeCheck(page, 'dashboard');
    await screenshot(page, 'dashboard');
    assert.deepEqual(csp, []);
    await page.context().close();
  });

  it('search finds a token by client and opens its page; the filters are in the URL', async () => {
    const jti = await issueToken();
    const page = await signInToConsole(browser, server, 'operator');
    await page.getByRole('link', { name: 'Search' }).click();
    await page.getByLabel('Client id').fill(machine.clientId);
    await page.getByLabel('Status').selectOption('ACTIVE');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL((u) => u.searchParams.get('client') === machine.clientId);
    assert.equal(new URL(page.url()).searchParams.get('status'), 'ACTIVE');
    const link = page.getByRole('link', { name: jti });
    await link.waitFor();
    await axeCheck(page, 'search');
    await screenshot(page, 'search');

    // A reload keeps the search: the URL is the state.
    await page.reload();
    await page.getByRole('link', { name: jti }).waitFor();
    assert.equal(await page.getByLabel('Client id').inputValue(), machine.clientId);
    assert.equal(await page.getByLabel('Status').inputValue(), 'ACTIVE');

    // By jti, straight to the one token.
    await page.getByLabel('Client id').fill('');
    await page.getByLabel('Token id (jti)').fill(jti);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('1 token.').waitFor();

    await page.getByRole('link', { name: jti }).click();
    await page.waitForURL(`${server.url}/console/tokens/${jti}`);
    await page.locator('h1').first().waitFor();
    // Back returns to the search, as it was.
    await page.goBack();
    await page.getByRole('link', { name: jti }).waitFor();
    await page.context().close();
  });

  it('search pages through results with a cursor, and narrows by issue time', async () => {
    const c = await registerClient(server.server, { scope: 'orders:read' });
    for (let i = 0; i < 27; i++) {
      const res = await postForm(
        server.server,
        '/token',
        { grant_type: 'client_credentials' },
        basic(c.clientId, c.secret!),
      );
      assert.equal(res.status, 200);
    }
    const page = await signInToConsole(browser, server, 'operator');
    await page.goto(`${server.url}/console/search?client=${c.clientId}`);
    await page.getByText('27 tokens.').waitFor();
    assert.equal(await page.locator('tbody tr').count(), 25);
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.waitForURL((u) => u.searchParams.has('after'));
    await page.getByText('(a later page)').waitFor();
    assert.equal(await page.locator('tbody tr').count(), 2);
    assert.equal(await page.getByRole('link', { name: 'Next page' }).count(), 0);
    await page.getByRole('link', { name: 'First page' }).click();
    await page.waitForURL((u) => !u.searchParams.has('after'));
    await page.getByRole('link', { name: 'Next page' }).waitFor();

    // Issued after a moment in the future: nothing.
    await page.getByLabel('Issued after').fill('2099-01-01T00:00');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No tokens match.').waitFor();
    assert.equal(new URL(page.url()).searchParams.get('from'), '2099-01-01T00:00');
    await page.context().close();
  });

  it('a person without a role is refused: the console is not shown, and the API answers FORBIDDEN', async () => {
    const page = await signInToConsole(browser, server, 'nobody');
    await page.getByRole('heading', { name: 'Your account holds no operator role' }).waitFor();
    assert.equal(await page.getByRole('navigation').count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 1);
    await axeCheck(page, 'no role');
    const session = await storedSession(page);
    assert.doesNotMatch(String(session.scope), /ledger:/);

    const head = await ledgerHead(server.server);
    const read = await graphql(String(session.access_token), '{ tokens(first: 1) { totalCount } }');
    assert.equal(read.errors?.[0].extensions.code, 'FORBIDDEN');
    assert.equal(read.data ?? null, null);
    const write = await graphql(
      String(session.access_token),
      `mutation { revokeClientTokens(clientId: "${machine.clientId}", reason: "forced") }`,
    );
    assert.equal(write.errors?.[0].extensions.code, 'FORBIDDEN');
    assert.equal(await ledgerHead(server.server), head, 'nothing was written');

    // Signing out ends the session at the server and comes back to the console's start.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname !== '/console/' || u.search === '');
    const confirm = page.locator('button[name="decision"][value="logout"]');
    if (await confirm.count()) await confirm.click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal(await storedSession(page), null);
    await page.context().close();
  });

  it('an auditor sees no write buttons, and the API refuses a write forced with their token', async () => {
    const jti = await issueToken();
    const page = await signInToConsole(browser, server, 'auditor');
    assert.equal(await page.locator('h1').first().textContent(), 'Dashboard');
    await page.getByText('audit (read only)').waitFor();
    await page.goto(`${server.url}/console/tokens/${jti}`);
    await page.locator('h1').first().waitFor();
    await page.waitForLoadState('networkidle');
    assert.equal(await page.getByRole('button', { name: /revoke|disable|rotate|enable/i }).count(), 0);

    const session = await storedSession(page);
    assert.match(String(session.scope), /\bledger:audit\b/);
    assert.doesNotMatch(String(session.scope), /ledger:admin/);
    const head = await ledgerHead(server.server);
    const write = await graphql(
      String(session.access_token),
      `mutation { revokeToken(jti: "${jti}", reason: "forced") { jti } }`,
    );
    assert.equal(write.errors?.[0].extensions.code, 'FORBIDDEN');
    assert.equal(await ledgerHead(server.server), head, 'nothing was written');
    await page.context().close();
  });

  it('works 390 px wide: no sideways scroll on the dashboard and search, navigation by keyboard', async () => {
    const page = await signInToConsole(browser, server, 'operator', { width: 390, height: 844 });
    await page.locator('[data-stat="issued"]').waitFor();
    await page.locator('.chart canvas').first().waitFor();
    assert.equal(await scrollsSideways(page), false, 'the dashboard scrolls sideways at 390 px');
    await axeCheck(page, 'dashboard at 390 px');
    await screenshot(page, 'dashboard-390');

    await page.goto(`${server.url}/console/search?client=${machine.clientId}`);
    await page.locator('table').waitFor();
    assert.equal(await scrollsSideways(page), false, 'search scrolls sideways at 390 px');
    await axeCheck(page, 'search at 390 px');

    // The first Tab reaches "Skip to content", which moves focus to the page.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
    await page.context().close();
  });

  it('refreshes the access token before it expires', async () => {
    const page = await signInToConsole(browser, server, 'operator');
    const first = await storedSession(page);
    // Pretend the token is about to expire: the next request refreshes it first.
    await page.evaluate(() => {
      const s = JSON.parse(sessionStorage.getItem('token-ledger-console')!) as { expires_at: number };
      s.expires_at = Date.now() + 5_000;
      sessionStorage.setItem('token-ledger-console', JSON.stringify(s));
    });
    await page.reload();
    await page.locator('[data-stat="issued"]').waitFor();
    await page.waitForFunction(
      (old) => JSON.parse(sessionStorage.getItem('token-ledger-console')!).access_token !== old,
      first.access_token,
    );
    const second = await storedSession(page);
    assert.ok(Number(second.expires_at) > Date.now() + 60_000);
    assert.notEqual(second.refresh_token, first.refresh_token, 'the refresh token is rotated');
    await page.context().close();
  });

  it('a callback it did not start is refused with a way back', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/console/callback?code=forged&state=forged`);
    await page.getByRole('heading', { name: 'Sign-in failed' }).waitFor();
    assert.equal(await storedSession(page), null);
    await context.close();
  });
});
