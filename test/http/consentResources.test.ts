import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';
import { ledgerHead, registerClient } from '../helpers/oauth.js';
import { Browser, type Page } from '../helpers/browser.js';
import { authorizeWithPkce, createUser } from '../helpers/flow.js';

/**
 * Consent is given for the resources (RFC 8707) a request names, not only its scopes: an openly registered client
 * that was allowed `mcp:read` at one MCP server asks again before it gets a code for another one.
 */
describe('consent per resource indicator', () => {
  let server: TestServer;
  let alice: { sub: string; username: string; password: string };
  const redirectUri = 'https://mcp-client.example/cb';
  const A = 'https://a.example/mcp';
  const B = 'https://b.example/mcp';
  before(async () => {
    server = await startInjectServer();
    alice = await createUser(server, 'alice');
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  let clients = 0;
  /** A fresh client, so that each test starts with no consent remembered. */
  async function newClient() {
    const clientId = `mcp-${++clients}`;
    await registerClient(
      server,
      {
        client_id: clientId,
        client_name: 'My MCP client',
        grant_types: ['authorization_code'],
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: 'none',
        scope: 'mcp:read',
      },
      null,
    );
    return clientId;
  }

  /** A browser signed in as alice that consented to `mcp:read` for the client at `resource`, with its code. */
  async function consented(clientId: string, resource?: string) {
    const browser = new Browser(server.fetch);
    const extra = { scope: 'mcp:read', ...(resource ? { resource } : {}) };
    const run = await authorizeWithPkce(server, browser, clientId, redirectUri, alice, extra);
    assert.ok(run.params.get('code'), run.page.html.slice(0, 300));
    return browser;
  }

  async function authorize(browser: Browser, clientId: string, extra: Record<string, string>): Promise<Page> {
    const query = {
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'mcp:read',
      state: 'st',
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
      code_challenge_method: 'S256',
      ...extra,
    };
    return browser.get(`${server.url}/authorize?${new URLSearchParams(query)}`);
  }

  const paramsOf = (page: Page) => new URL(page.location!).searchParams;
  const isConsentPage = (page: Page) => page.status === 200 && page.html.includes('name="decision"');

  it('consent for A, then a request for B: the consent page naming B, nothing written; Allow → a code', async () => {
    const clientId = await newClient();
    const browser = await consented(clientId, A);
    const head = await ledgerHead(server);
    const page = await authorize(browser, clientId, { resource: B });
    assert.ok(isConsentPage(page), `a consent page, not a code: ${page.status} ${page.location}`);
    assert.match(page.html, /For use at:/);
    assert.match(page.html, /<code title="https:\/\/b\.example\/mcp">b\.example\/mcp<\/code>/);
    assert.doesNotMatch(page.html, /a\.example/, 'only the resource asked for');
    assert.match(page.html, /mcp:read/);
    assert.equal(await ledgerHead(server), head, 'nothing written until the user answers');

    const answered = await browser.submit(`${server.url}/authorize`, page, { decision: 'approve' });
    assert.equal(answered.status, 303);
    assert.ok(paramsOf(answered).get('code'), answered.location ?? '');
    const written = await server.runtime.store.readAll(head, 100);
    const grantedData = written.filter((e) => e.type === 'AuthorizationGranted').map((e) => e.data);
    assert.deepEqual(grantedData, [{ sub: alice.sub, clientId, scope: 'mcp:read', resources: [B] }]);

    for (const resource of [A, B]) {
      const again = await authorize(browser, clientId, { resource });
      assert.equal(again.status, 303, `no consent page for ${resource} again`);
      assert.ok(paramsOf(again).get('code'));
    }
  });

  it('a request naming A and B, when only A was consented to, asks for both and names both', async () => {
    const clientId = await newClient();
    const browser = await consented(clientId, A);
    const query = new URLSearchParams({ resource: A });
    query.append('resource', B);
    const page = await browser.get(
      `${server.url}/authorize?${new URLSearchParams({
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: 'mcp:read',
        code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
        code_challenge_method: 'S256',
      })}&${query}`,
    );
    assert.ok(isConsentPage(page));
    assert.match(page.html, />a\.example\/mcp</);
    assert.match(page.html, />b\.example\/mcp</);
  });

  it('prompt=none with a resource not consented to: consent_required, nothing written', async () => {
    const clientId = await newClient();
    const browser = await consented(clientId, A);
    const head = await ledgerHead(server);
    const page = await authorize(browser, clientId, { resource: B, prompt: 'none' });
    assert.equal(page.status, 303);
    assert.equal(paramsOf(page).get('error'), 'consent_required');
    assert.equal(paramsOf(page).get('state'), 'st');
    assert.equal(await ledgerHead(server), head);
    const ok = await authorize(browser, clientId, { resource: A, prompt: 'none' });
    assert.ok(paramsOf(ok).get('code'), 'the consented resource passes silently');
  });

  it('consent without a resource covers no resource, and consent for A does not cover a request without one', async () => {
    const plain = await newClient();
    const browser = await consented(plain);
    assert.equal((await authorize(browser, plain, {})).status, 303, 'no resource: as before, remembered');
    const withResource = await authorize(browser, plain, { resource: A });
    assert.ok(isConsentPage(withResource), 'a consent from before resources were recorded asks once more');

    const forA = await newClient();
    const other = await consented(forA, A);
    const page = await authorize(other, forA, {});
    assert.ok(isConsentPage(page), 'tokens for this server were not consented to');
    assert.doesNotMatch(page.html, /For use at:/, 'no resource: none named');
  });

  it('names the resource in German too, as host and path', async () => {
    const clientId = await newClient();
    const browser = await consented(clientId, A);
    const page = await authorize(browser, clientId, { resource: 'https://b.example/', ui_locales: 'de' });
    assert.ok(isConsentPage(page));
    assert.match(page.html, /Zur Verwendung bei:/);
    assert.match(page.html, /<code title="https:\/\/b\.example\/">b\.example<\/code>/);
  });
});
