/**
 * Consent per resource indicator (RFC 8707), as a person sees it in Debian's Chromium: the consent page names the
 * MCP server the permissions are for, and a client allowed at one server is asked about before it reaches another.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { registerClient } from '../helpers/oauth.js';
import { createUser } from '../helpers/flow.js';
import { chromiumSkip, startChromiumFixture, watchCsp, type ChromiumFixture } from '../helpers/browserChromium.js';

const A = 'https://a.example/mcp';
const B = 'https://b.example/mcp';

describe('consent per resource in Chromium', { skip: chromiumSkip }, () => {
  let fixture: ChromiumFixture;
  let server: TestServer;
  let browser: Browser;
  let app: ChromiumFixture['app'];
  let clientId: string;
  let alice: { username: string; password: string };

  before(async () => {
    fixture = await startChromiumFixture((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>app</title><p>back</p>');
    });
    ({ server, browser, app } = fixture);
    alice = await createUser(server, 'alice', 'correct horse battery');
    clientId = (
      await registerClient(
        server,
        {
          client_name: 'My MCP client',
          grant_types: ['authorization_code'],
          redirect_uris: [`${app.origin}/callback`],
          token_endpoint_auth_method: 'none',
          scope: 'mcp:read',
        },
        null,
      )
    ).clientId;
  });
  after(() => fixture?.close());

  function authorizeUrl(resource: string, extra: Record<string, string> = {}) {
    const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
    return `${server.url}/authorize?${new URLSearchParams({
      client_id: clientId,
      redirect_uri: `${app.origin}/callback`,
      response_type: 'code',
      scope: 'mcp:read',
      resource,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'st',
      ...extra,
    })}`;
  }

  /** The resources the consent page lists, as the person reads them. */
  const namedResources = (page: Page) => page.locator('ul.resources li').allInnerTexts();

  async function allow(page: Page) {
    await page.getByRole('button', { name: /^(Allow|Erlauben)$/ }).click();
    await page.waitForURL(`${app.origin}/callback?**`);
    assert.ok(new URL(page.url()).searchParams.get('code'), page.url());
  }

  it('the consent page names the MCP server; another server is asked about, the same one is not', async () => {
    const context = await browser.newContext();
    const csp = await watchCsp(context);
    const page = await context.newPage();

    await page.goto(authorizeUrl(A));
    await page.getByLabel('Username').fill(alice.username);
    await page.getByLabel('Password').fill(alice.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    assert.ok(await page.getByText('For use at:').isVisible());
    assert.deepEqual(await namedResources(page), ['a.example/mcp']);
    assert.equal(await page.locator('ul.resources code').getAttribute('title'), A, 'the whole URI on hover');
    await allow(page);

    // The same client, the same scope, another MCP server: the person is asked, and sees which server.
    await page.goto(authorizeUrl(B));
    assert.ok(await page.getByRole('button', { name: 'Allow' }).isVisible(), `asked again: ${page.url()}`);
    assert.deepEqual(await namedResources(page), ['b.example/mcp']);
    await allow(page);

    // Both consented: straight back to the application.
    await page.goto(authorizeUrl(A));
    await page.waitForURL(`${app.origin}/callback?**`);
    assert.deepEqual(csp, []);
    await context.close();
  });

  it('in German, the page names the server beside „Zur Verwendung bei:“', async () => {
    const context = await browser.newContext({ locale: 'de-DE' });
    const page = await context.newPage();
    await page.goto(authorizeUrl('https://c.example/mcp', { ui_locales: 'de' }));
    await page.getByLabel('Benutzername').fill(alice.username);
    await page.getByLabel('Passwort').fill(alice.password);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.getByRole('button', { name: 'Erlauben' }).waitFor();
    assert.ok(await page.getByText('Zur Verwendung bei:').isVisible());
    assert.deepEqual(await namedResources(page), ['c.example/mcp']);
    await allow(page);
    await context.close();
  });
});
