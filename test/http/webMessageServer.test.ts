import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';
import { ledgerHead, registerClient } from '../helpers/oauth.js';
import { Browser } from '../helpers/browser.js';
import { createUser } from '../helpers/flow.js';

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('web message response mode: the server side', () => {
  let server: TestServer;
  let spa: { clientId: string };
  let native: { clientId: string };
  const redirectUri = 'https://app.example/callback';
  before(async () => {
    server = await startInjectServer();
    await createUser(server, 'alice');
    spa = await registerClient(
      server,
      {
        grant_types: ['authorization_code'],
        redirect_uris: [redirectUri],
        response_modes: ['query', 'web_message'],
        token_endpoint_auth_method: 'none',
        scope: 'openid',
      },
      null,
    );
    native = await registerClient(
      server,
      {
        grant_types: ['authorization_code'],
        redirect_uris: ['com.example.app:/cb'],
        token_endpoint_auth_method: 'none',
        scope: 'openid',
      },
      null,
    );
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const query = (extra: Record<string, string>) =>
    `${server.url}/authorize?${new URLSearchParams({ client_id: spa.clientId, redirect_uri: redirectUri, response_type: 'code', response_mode: 'web_message', code_challenge: CHALLENGE, code_challenge_method: 'S256', ...extra })}`;

  it('is listed in response_modes_supported', async () => {
    const meta = await (await server.fetch(`${server.url}/.well-known/openid-configuration`)).json();
    assert.deepEqual(meta.response_modes_supported, ['query', 'form_post', 'web_message']);
  });

  it('posts an error to the redirect URI origin only, framable by that origin only, with its script allowed by hash', async () => {
    const page = await new Browser(server.fetch).get(query({ prompt: 'none', state: 'st' }));
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors https:\/\/app\.example(;|$)/);
    assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'/);
    assert.equal(page.headers.get('x-frame-options'), null);
    const json = /<script type="application\/json" id="tl-response">([^<]*)<\/script>/.exec(page.html)![1];
    const data = JSON.parse(json);
    assert.equal(data.targetOrigin, 'https://app.example');
    assert.deepEqual(data.message, {
      type: 'authorization_response',
      response: {
        error: 'login_required',
        error_description: 'the user is not signed in',
        state: 'st',
        iss: server.url,
      },
    });
    assert.equal(page.html.includes("'*'"), false);
  });

  it('escapes a hostile state inside the page (<, >, &, U+2028, U+2029)', async () => {
    const state = '</script><img src=x onerror=alert(1)>&\u2028\u2029';
    const page = await new Browser(server.fetch).get(query({ prompt: 'none', state }));
    const json = /<script type="application\/json" id="tl-response">([^<]*)<\/script>/.exec(page.html)![1];
    assert.equal(/[<>&\u2028\u2029]/.test(json), false);
    assert.equal(JSON.parse(json).message.response.state, state);
  });

  for (const [name, extra, client] of [
    ['relay mode (web_message_uri)', { web_message_uri: 'https://relay.example' }, 'spa'],
    ['relay mode (web_message_target)', { web_message_target: 'relay' }, 'spa'],
    ['a non-http(s) redirect URI', {}, 'native'],
    ['an unregistered redirect URI', { redirect_uri: 'https://evil.example/callback' }, 'spa'],
  ] as const) {
    it(`refuses ${name} with an error page and posts no message`, async () => {
      const before = await ledgerHead(server);
      const url =
        client === 'native'
          ? `${server.url}/authorize?${new URLSearchParams({ client_id: native.clientId, redirect_uri: 'com.example.app:/cb', response_type: 'code', response_mode: 'web_message', code_challenge: CHALLENGE, code_challenge_method: 'S256' })}`
          : query(extra);
      const page = await new Browser(server.fetch).get(url);
      assert.equal(page.status, 400);
      assert.equal(page.html.includes('tl-response'), false);
      assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      assert.equal(await ledgerHead(server), before);
    });
  }

  it('login and consent pages forbid framing', async () => {
    const page = await new Browser(server.fetch).get(query({}));
    assert.match(page.html, /name="password"/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  });

  it('CORS: the token endpoint answers registered public-client origins only; the authorization endpoint never', async () => {
    const preflight = (origin: string) =>
      server.fetch(`${server.url}/token`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    assert.equal(
      (await preflight('https://app.example')).headers.get('access-control-allow-origin'),
      'https://app.example',
    );
    assert.equal((await preflight('https://evil.example')).headers.get('access-control-allow-origin'), null);
    const authorize = await server.fetch(query({}), { headers: { origin: 'https://app.example' } });
    assert.equal(authorize.headers.get('access-control-allow-origin'), null);
  });

  it('serves the browser module with CORS, revalidation, an immutable hashed copy and its .d.ts', async () => {
    const js = await server.fetch(`${server.url}/sdk/web-message.js`, { headers: { origin: 'https://app.example' } });
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(js.headers.get('access-control-allow-origin'), '*');
    const body = await js.text();
    assert.match(body, /export async function loginWithPopup/);
    assert.match(body, /export async function authorizeSilently/);
    const hash = js.headers.get('etag')!.replace(/"/g, '');
    const pinned = await server.fetch(`${server.url}/sdk/web-message.${hash}.js`);
    assert.match(pinned.headers.get('cache-control') ?? '', /immutable/);
    assert.equal(await pinned.text(), body);
    const dts = await server.fetch(`${server.url}/sdk/web-message.d.ts`);
    assert.match(await dts.text(), /loginWithPopup\(opts: WebMessageOptions\): Promise<TokenResponse>/);
  });
});
