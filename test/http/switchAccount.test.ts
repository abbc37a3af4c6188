/** "Not you?" on the consent page (POST /login-switch), over the wire. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Browser } from '../helpers/browser.js';
import { authorizeInBrowser, createUser } from '../helpers/flow.js';
import { ledgerHead, registerClient } from '../helpers/oauth.js';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';

describe('switching account from the consent page', () => {
  let server: TestServer;
  let clientId: string;
  let alice: { username: string; password: string };
  const redirectUri = 'https://spa.example/cb';
  before(async () => {
    server = await startInjectServer();
    alice = await createUser(server, 'alice');
    clientId = (
      await registerClient(
        server,
        {
          grant_types: ['authorization_code'],
          redirect_uris: [redirectUri],
          token_endpoint_auth_method: 'none',
          scope: 'openid',
        },
        null,
      )
    ).clientId;
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  async function consentPage(browser: Browser) {
    const query = {
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state: 's',
    };
    let page = await authorizeInBrowser(server, browser, query);
    page = await browser.submit(`${server.url}/authorize`, page, {
      username: alice.username,
      password: alice.password,
    });
    assert.match(page.html, /Signed in as <strong>alice<\/strong>/);
    return page;
  }

  it('ends the signed-in session and asks for a login for the same request', async () => {
    const browser = new Browser(server.fetch);
    const consent = await consentPage(browser);
    const before = await ledgerHead(server);
    const login = await browser.post(`${server.url}/login-switch`, consent.fields);
    assert.equal(login.status, 200);
    assert.match(login.html, /name="password"/);
    assert.deepEqual(
      (await server.runtime.store.readAll(before, 10)).map((e) => e.type),
      ['SessionEnded', 'LoggedOut'],
    );
    assert.match(login.headers.getSetCookie().join('\n'), /tl_session=;/);
  });

  it('refuses a switch without the form token, or from another browser, and ends nothing', async () => {
    const browser = new Browser(server.fetch);
    const consent = await consentPage(browser);
    const before = await ledgerHead(server);
    const forged = await browser.post(`${server.url}/login-switch`, { ...consent.fields, csrf: 'x' });
    assert.equal(forged.status, 400);
    assert.match(forged.html, /This request cannot continue/);
    const elsewhere = await new Browser(server.fetch).post(`${server.url}/login-switch`, consent.fields);
    assert.equal(elsewhere.status, 400);
    assert.equal(await ledgerHead(server), before, 'nothing written');
  });
});
