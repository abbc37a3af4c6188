/**
 * Response headers, over a sweep of every endpoint: no-store where a token or code travels,
 * nosniff everywhere, a CSP on every HTML page, HSTS when the issuer is https.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import { Browser } from '../helpers/browser.js';
import { createUser } from '../helpers/flow.js';
import { CHALLENGE, VERIFIER, webMessageResponse } from './support.js';
import { HSTS } from '../../src/http/plugins/securityHeaders.js';

interface Seen {
  label: string;
  status: number;
  headers: Headers;
  /** The response carries a token or a code. */
  secret: boolean;
}

const REDIRECT = 'https://app.example/cb';

/** One request to every endpoint and page, the full code flow in each response mode, and the errors. */
async function sweep(server: TestServer): Promise<Seen[]> {
  const seen: Seen[] = [];
  const note = (label: string, res: { status: number; headers: Headers }, secret = false) =>
    void seen.push({ label, status: res.status, headers: res.headers, secret });
  const get = async (path: string, init: RequestInit = {}) => {
    const res = await server.fetch(`${server.url}${path}`, { redirect: 'manual', ...init });
    await res.arrayBuffer();
    return res;
  };
  const user = await createUser(server, `u-${randomUUID().slice(0, 8)}`);
  const app = await registerClient(
    server,
    {
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [REDIRECT],
      post_logout_redirect_uris: ['https://app.example/bye'],
      response_modes: ['query', 'form_post', 'web_message'],
      scope: 'openid profile',
      token_endpoint_auth_method: 'none',
    },
    null,
  );
  const svc = await registerClient(server, { scope: 'orders:read ledger:audit' });
  const auth = basic(svc.clientId, svc.secret!);

  for (const path of [
    '/.well-known/openid-configuration',
    '/.well-known/oauth-authorization-server',
    '/jwks',
    '/healthz',
    '/readyz',
    '/metrics',
    '/status-lists',
    '/sdk/web-message.js',
    '/sdk/web-message.d.ts',
    '/no-such-path',
    '/graphql',
    '/console/graphiql',
  ]) {
    note(`GET ${path}`, await get(path));
  }
  note(
    'CORS preflight /token',
    await get('/token', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    }),
  );

  const cc = await postForm(server, '/token', { grant_type: 'client_credentials' }, auth);
  note('POST /token (client_credentials)', cc, true);
  const token = cc.body.access_token as string;
  note(
    'POST /token (error)',
    await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(svc.clientId, 'wrong')),
  );
  note(
    'POST /token (bad content type)',
    await get('/token', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }),
  );
  note('POST /introspect', await postForm(server, '/introspect', { token }, auth), true);
  note(
    'POST /introspect (JWT answer)',
    await get('/introspect', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/token-introspection+jwt',
        ...auth,
      },
      body: `token=${token}`,
    }),
    true,
  );
  note(
    'POST /graphql',
    await get('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{"query":"{ tokens(first: 1) { totalCount } }"}',
    }),
  );
  note('GET /status-lists/:id', await get(`/status-lists/${encodeURIComponent('0')}`));
  note('GET /userinfo (no token)', await get('/userinfo'));

  const browser = new Browser(server.fetch);
  const q = (extra: Record<string, string> = {}) =>
    `/authorize?${new URLSearchParams({ client_id: app.clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid profile', code_challenge: CHALLENGE, code_challenge_method: 'S256', state: 's', ...extra })}`;
  note(
    'GET /authorize (error page)',
    await new Browser(server.fetch).get(`${server.url}${q({ redirect_uri: 'https://evil.example/' })}`),
  );
  note('GET /authorize (error redirect)', await new Browser(server.fetch).get(`${server.url}${q({ prompt: 'none' })}`));
  const login = await browser.get(`${server.url}${q()}`);
  note('GET /authorize (login page)', login);
  const consent = await browser.submit(`${server.url}/authorize`, login, {
    username: user.username,
    password: user.password,
  });
  note('POST /login (consent page)', consent);
  const callback = await browser.submit(`${server.url}/authorize`, consent, { decision: 'approve' });
  assert.ok(new URL(callback.location!).searchParams.get('code'));
  note('POST /consent (303 with a code)', callback, true);
  const code = new URL(callback.location!).searchParams.get('code')!;
  const tokens = await postForm(server, '/token', {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
    code_verifier: VERIFIER,
    client_id: app.clientId,
  });
  note('POST /token (authorization_code)', tokens, true);
  note(
    'POST /token (refresh_token)',
    await postForm(server, '/token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.body.refresh_token,
      client_id: app.clientId,
    }),
    true,
  );
  note(
    'GET /userinfo',
    await get('/userinfo', { headers: { authorization: `Bearer ${tokens.body.access_token}` } }),
    true,
  );
  note('GET /authorize (303 with a code, session)', await browser.get(`${server.url}${q()}`), true);
  const posted = await browser.get(`${server.url}${q({ response_mode: 'form_post' })}`);
  assert.ok(posted.fields.code);
  note('GET /authorize (form_post page with a code)', posted, true);
  const message = await browser.get(`${server.url}${q({ response_mode: 'web_message' })}`);
  assert.ok(webMessageResponse(message).response.code);
  note('GET /authorize (web_message page with a code)', message, true);
  note(
    'GET /authorize (web_message error page)',
    await new Browser(server.fetch).get(`${server.url}${q({ response_mode: 'web_message', prompt: 'none' })}`),
  );
  note('POST /revoke', await postForm(server, '/revoke', { token, client_id: svc.clientId }, auth));
  const ask = await browser.get(`${server.url}/logout`);
  note('GET /logout (confirmation page)', ask);
  note('POST /logout/confirm (signed out)', await browser.submit(`${server.url}/logout`, ask, { decision: 'logout' }));
  note('POST /logout/confirm (forged)', await browser.post(`${server.url}/logout/confirm`, { csrf: 'x' }));
  return seen;
}

describe('response headers', () => {
  let server: TestServer;
  let seen: Seen[];
  before(async () => {
    server = await startInjectServer();
    seen = await sweep(server);
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  it('CWE-525 cached sensitive information: Cache-Control: no-store on every response carrying a token or a code', () => {
    const carrying = seen.filter((s) => s.secret);
    assert.ok(carrying.length >= 10, `${carrying.length} responses`);
    for (const s of carrying) assert.match(s.headers.get('cache-control') ?? '', /\bno-store\b/, s.label);
  });

  it('CWE-525: token endpoint answers (success and error) also say Pragma: no-cache for HTTP/1.0 caches', () => {
    for (const s of seen.filter((x) => x.label.startsWith('POST /token ('))) {
      assert.equal(s.headers.get('cache-control'), 'no-store', s.label);
    }
    for (const s of seen.filter((x) => x.label.startsWith('POST /token (') && x.status === 200))
      assert.equal(s.headers.get('pragma'), 'no-cache', s.label);
  });

  it('CWE-430 MIME sniffing: X-Content-Type-Options: nosniff on every response, errors, redirects and preflights included', () => {
    assert.ok(seen.length >= 35, `${seen.length} responses`);
    for (const s of seen) assert.equal(s.headers.get('x-content-type-options'), 'nosniff', `${s.label} (${s.status})`);
  });

  it("CWE-79 / CWE-1021: every HTML response has a Content-Security-Policy with default-src 'none', base-uri 'none' and frame-ancestors", () => {
    const html = seen.filter((s) => /^text\/html/.test(s.headers.get('content-type') ?? ''));
    assert.ok(html.length >= 10, `${html.length} HTML pages`);
    for (const s of html) {
      const csp = s.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/, s.label);
      assert.match(csp, /base-uri 'none'/, s.label);
      assert.match(csp, /frame-ancestors /, s.label);
      // GraphiQL's page alone may have inline styles, never scripts: Monaco styles its editor at run time
      // (src/http/routes/graphiql.ts).
      const checked = s.label === 'GET /console/graphiql' ? csp.replace("style-src 'self' 'unsafe-inline'", '') : csp;
      assert.doesNotMatch(checked, /'unsafe-inline'|'unsafe-eval'|\*/, s.label);
    }
  });

  it('CWE-1021: the web_message page keeps its own policy — framable by the client origin, its script allowed by hash', () => {
    const page = seen.find((s) => s.label === 'GET /authorize (web_message page with a code)')!;
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors https:\/\/app\.example(;|$)/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'sha256-/);
    assert.equal(page.headers.get('x-frame-options'), null);
  });

  it('CWE-319 cleartext transmission: no Strict-Transport-Security for an http issuer (browsers ignore it there)', () => {
    for (const s of seen) assert.equal(s.headers.get('strict-transport-security'), null, s.label);
  });
});

describe('response headers behind a TLS-terminating proxy (https issuer)', () => {
  it('CWE-319 cleartext transmission: Strict-Transport-Security on every response when the issuer is https', async () => {
    const server = await startInjectServer({ env: { ISSUER: 'https://auth.example.test', TRUST_PROXY: '1' } });
    try {
      const responses = [
        await server.fetch(`${server.url}/.well-known/openid-configuration`, {
          headers: { 'x-forwarded-proto': 'https' },
        }),
        await server.fetch(`${server.url}/no-such-path`),
        await postForm(server, '/token', { grant_type: 'client_credentials' }),
        await server.fetch(`${server.url}/authorize?client_id=nobody`),
        await server.fetch(`${server.url}/graphql`),
      ];
      for (const res of responses) {
        assert.equal(res.headers.get('strict-transport-security'), HSTS);
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      }
      assert.match(HSTS, /^max-age=(\d+)$/);
      assert.ok(Number(/\d+/.exec(HSTS)![0]) >= 31_536_000, 'at least a year');
    } finally {
      await server.close();
      removeDir(server.dataDir);
    }
  });
});
