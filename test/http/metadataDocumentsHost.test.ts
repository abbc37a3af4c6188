/**
 * The login and consent pages name the host of a client ID metadata document next to the name it gives: whoever
 * controls the URL chose that name, so the host is what tells a person an impostor apart. Operators' clients show none.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { removeDir } from '../helpers/server.js';
import { startInjectServer, type InjectServer } from '../helpers/injectServer.js';
import { registerClient } from '../helpers/oauth.js';
import { startDocumentServer, type DocumentServer } from '../helpers/metadataDocumentServer.js';
import { Browser } from '../helpers/browser.js';
import { createUser } from '../helpers/flow.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const CHALLENGE = createHash('sha256').update('v'.repeat(43)).digest('base64url');

describe('the host of a client ID metadata document on the login and consent pages', () => {
  let server: InjectServer;
  let docs: DocumentServer;
  let alice: { username: string; password: string };
  let host: string;

  before(async () => {
    docs = await startDocumentServer();
    server = await startInjectServer({
      env: { CLIENT_ID_METADATA_DOCUMENTS: 'on', CLIENT_ID_METADATA_DOCUMENTS_ALLOW_HTTP_LOOPBACK: 'true' },
    });
    alice = await createUser(server, 'alice');
    host = new URL(docs.url('/')).host;
  });
  after(async () => {
    await server.close();
    await docs.close();
    removeDir(server.dataDir);
  });

  /** A document naming itself `name`; its URL is the client_id. */
  const documentClient = (name: string) => {
    const path = `/clients/${randomUUID()}.json`;
    const url = docs.url(path);
    docs.serveJson(path, { client_id: url, client_name: name, redirect_uris: [REDIRECT], scope: 'openid' });
    return url;
  };
  const authorize = (browser: Browser, clientId: string, query: Record<string, string> = {}) =>
    browser.get(
      `${server.url}/authorize?${new URLSearchParams({
        client_id: clientId,
        redirect_uri: REDIRECT,
        response_type: 'code',
        scope: 'openid',
        state: 's',
        code_challenge: CHALLENGE,
        code_challenge_method: 'S256',
        ...query,
      })}`,
    );
  const hostLine = (html: string) => /<span class="document-host">([^<]*)<\/span>/.exec(html)?.[1];

  it('login, then consent: both show the name and, beside it, the host it comes from', async () => {
    const browser = new Browser(server.fetch);
    const login = await authorize(browser, documentClient('GitHub'));
    assert.equal(login.status, 200, login.html.slice(0, 300));
    assert.match(login.html, /Sign in to continue to GitHub/);
    assert.equal(hostLine(login.html), `Name and details come from ${host}`);
    const consent = await browser.submit(`${server.url}/authorize`, login, alice);
    assert.match(consent.html, /name="decision"/);
    assert.match(consent.html, /GitHub wants to access your account/);
    assert.equal(hostLine(consent.html), `Name and details come from ${host}`);
  });

  it('in German', async () => {
    const page = await authorize(new Browser(server.fetch), documentClient('Notizen'), { ui_locales: 'de' });
    assert.equal(hostLine(page.html), `Name und Angaben stammen von ${host}`);
  });

  it('an operator client shows no host line, whatever it is called', async () => {
    const { clientId } = await registerClient(server, {
      client_name: 'Orders',
      grant_types: ['authorization_code'],
      redirect_uris: [REDIRECT],
      scope: 'openid',
      token_endpoint_auth_method: 'none',
    });
    const page = await authorize(new Browser(server.fetch), clientId);
    assert.match(page.html, /Sign in to continue to Orders/);
    assert.equal(hostLine(page.html), undefined);
  });
});
