/**
 * A person signs in, in Debian's Chromium, to an application known only by its client ID metadata document's URL:
 * the login and consent pages name it from the document, with the document's host beside the name, and the code
 * reaches its callback. A document that is refused shows the error page, with its reason, and sends the browser
 * nowhere.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { createUser } from '../helpers/flow.js';
import { ledgerHead } from '../helpers/oauth.js';
import { chromiumSkip, startChromiumFixture, watchCsp, type ChromiumFixture } from '../helpers/browserChromium.js';

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

describe('client ID metadata documents in Chromium', { skip: chromiumSkip }, () => {
  let fixture: ChromiumFixture;
  let server: TestServer;
  let browser: Browser;
  let origin: string;
  let alice: { username: string; password: string };
  const documents = new Map<string, unknown>();

  before(async () => {
    // The app serves its own documents, and shows the parameters its callback got.
    fixture = await startChromiumFixture(
      (req, _body, res) => {
        const url = new URL(req.url!, 'http://x');
        const document = documents.get(url.pathname);
        if (document !== undefined) {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
          return;
        }
        const shown = url.search.slice(1).replace(/</g, '&lt;');
        res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><pre id="params">${shown}</pre>`);
      },
      { CLIENT_ID_METADATA_DOCUMENTS: 'on', CLIENT_ID_METADATA_DOCUMENTS_ALLOW_HTTP_LOOPBACK: 'true' },
    );
    ({ server, browser } = fixture);
    origin = fixture.app.origin;
    alice = await createUser(server, 'alice', 'correct horse battery');
  });
  after(() => fixture?.close());

  const authorizeUrl = (clientId: string, challenge: string) =>
    `${server.url}/authorize?${new URLSearchParams({
      client_id: clientId,
      redirect_uri: `${origin}/callback`,
      response_type: 'code',
      scope: 'openid',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'st-1',
    })}`;

  async function signIn(page: Page) {
    await page.getByLabel('Username').fill(alice.username);
    await page.getByLabel('Password').fill(alice.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('signs in through the login and consent pages and reaches the callback with a code that is redeemed', async () => {
    const clientId = `${origin}/notes/client.json`;
    documents.set('/notes/client.json', {
      client_id: clientId,
      client_name: 'Notes MCP client',
      redirect_uris: [`${origin}/callback`],
      grant_types: ['authorization_code'],
      scope: 'openid',
    });
    const context = await browser.newContext();
    const csp = await watchCsp(context);
    const page = await context.newPage();
    const { verifier, challenge } = pkce();
    await page.goto(authorizeUrl(clientId, challenge));
    assert.match((await page.locator('main').textContent()) ?? '', /Notes MCP client/);
    // The document's author chose the name: the host beside it is what a person can check.
    const hostLine = page.getByText(`Name and details come from ${new URL(origin).host}`, { exact: true });
    assert.ok(await hostLine.isVisible(), 'the host is shown on the login page');
    await signIn(page);
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    assert.match((await page.locator('main').textContent()) ?? '', /Notes MCP client/);
    assert.ok(await hostLine.isVisible(), 'and on the consent page');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${origin}/callback?**`);
    const params = new URL(page.url()).searchParams;
    assert.equal(params.get('state'), 'st-1');
    const res = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: params.get('code')!,
        redirect_uri: `${origin}/callback`,
        client_id: clientId,
        code_verifier: verifier,
      }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.ok(body.id_token);
    assert.deepEqual(csp, []);
    await context.close();
  });

  it('a refused document: the error page says why, and the browser is not sent to the redirect URI', async () => {
    const clientId = `${origin}/impostor/client.json`;
    documents.set('/impostor/client.json', {
      client_id: `${origin}/notes/client.json`,
      client_name: 'Impostor',
      redirect_uris: [`${origin}/callback`],
    });
    const head = await ledgerHead(server);
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(authorizeUrl(clientId, pkce().challenge));
    assert.equal(response?.status(), 400);
    assert.ok(page.url().startsWith(`${server.url}/authorize`), page.url());
    const alert = (await page.getByRole('alert').textContent()) ?? '';
    assert.equal(
      alert,
      `The application's client ID metadata document cannot be used: its client_id ` +
        `"${origin}/notes/client.json" is not the URL it was fetched from.`,
    );
    assert.equal(await ledgerHead(server), head);
    await context.close();
  });
});
