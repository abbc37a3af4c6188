import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir } from '../helpers/server.js';
import { listenOnIssuerPort, startInjectServer, type InjectServer } from '../helpers/injectServer.js';
import { basic, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { rawRequest } from '../helpers/fuzz.js';

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
/** RFC 6749 §4.1.2.1 / §5.2: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E ). */
const DESCRIPTION = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/;
const MAX = 200;

function assertConforms(description: unknown): string {
  assert.equal(typeof description, 'string');
  const text = description as string;
  assert.match(text, DESCRIPTION, `error_description outside RFC 6749's characters: ${JSON.stringify(text)}`);
  assert.ok(text.length <= MAX, `error_description of ${text.length} characters`);
  return text;
}

/** Scopes a client may send that the description used to echo verbatim. */
const HOSTILE: Array<[string, string]> = [
  ['a double quote', 'orders:read "x'],
  ['non-ASCII', 'orders:read café 😀'],
  ['a backslash', 'orders:read a\\b'],
  ['a control character', 'orders:read a\u0001b'],
  ['a tab', 'orders:read a\tb'],
  ['a NUL', 'orders:read a\u0000b'],
];
/** 6,000 unknown scopes, a 34 KB form within the 64 KB body limit: they used to come back in full. */
const hugeScope = () => Array.from({ length: 6000 }, (_, i) => `s${i}`).join(' ');

describe('error_description: RFC 6749 characters and a bounded length', () => {
  let server: InjectServer;
  let svc: { clientId: string; secret: string | null };
  let spa: { clientId: string };
  const redirectUri = 'https://spa.example/cb';
  before(async () => {
    server = await startInjectServer();
    svc = await registerClient(server, {});
    spa = await registerClient(
      server,
      { grant_types: ['authorization_code'], redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' },
      null,
    );
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  async function tokenError(
    form: Record<string, string>,
    headers: Record<string, string>,
    status: number,
    error: string,
  ) {
    const before = await ledgerHead(server);
    const res = await postForm(server, '/token', form, headers);
    assert.equal(res.status, status, res.text.slice(0, 300));
    assert.equal(res.body?.error, error);
    assert.deepEqual(Object.keys(res.body).sort(), ['error', 'error_description']);
    // The body itself is plain ASCII with no escapes: nothing from the request survives as it was sent.
    assert.match(res.text, /^[\x20-\x7E]+$/);
    assert.equal(await ledgerHead(server), before, 'nothing written to the ledger');
    return { res, description: assertConforms(res.body.error_description) };
  }

  const authorizeParams = (scope: string) => ({
    client_id: spa.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    state: 'st',
    scope,
  });

  /** A 303 back to the client with the error, its description conforming, and nothing written. */
  async function authorizeError(method: 'GET' | 'POST', scope: string, error: string) {
    const before = await ledgerHead(server);
    const params = new URLSearchParams(authorizeParams(scope));
    const res =
      method === 'GET'
        ? await server.fetch(`${server.url}/authorize?${params}`, { redirect: 'manual' })
        : await server.fetch(`${server.url}/authorize`, {
            method: 'POST',
            redirect: 'manual',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: params.toString(),
          });
    await res.arrayBuffer();
    assert.equal(res.status, 303);
    const location = res.headers.get('location')!;
    const url = new URL(location);
    assert.equal(`${url.origin}${url.pathname}`, redirectUri);
    assert.equal(url.searchParams.get('error'), error);
    assert.equal(url.searchParams.get('state'), 'st');
    assert.equal(url.searchParams.get('iss'), server.url);
    assert.equal(await ledgerHead(server), before, 'nothing written to the ledger');
    return { location, description: assertConforms(url.searchParams.get('error_description')) };
  }

  for (const [what, scope] of HOSTILE) {
    it(`/token: ${what} in scope → invalid_scope with a conforming description`, async () => {
      const { description } = await tokenError(
        { grant_type: 'client_credentials', scope },
        basic(svc.clientId, svc.secret!),
        400,
        'invalid_scope',
      );
      assert.match(description, /^scope not allowed for this client: /);
    });
    it(`/authorize: ${what} in scope → invalid_scope redirect with a conforming description`, async () => {
      const { description } = await authorizeError('GET', scope, 'invalid_scope');
      assert.match(description, /^scope not allowed for this client: /);
    });
  }

  it('/token: a double quote is shown as a single quote, other characters as ?', async () => {
    const quote = await tokenError(
      { grant_type: 'client_credentials', scope: 'orders:read "x' },
      basic(svc.clientId, svc.secret!),
      400,
      'invalid_scope',
    );
    assert.equal(quote.description, "scope not allowed for this client: 'x");
    const emoji = await tokenError(
      { grant_type: 'client_credentials', scope: 'orders:read café 😀' },
      basic(svc.clientId, svc.secret!),
      400,
      'invalid_scope',
    );
    assert.equal(emoji.description, 'scope not allowed for this client: caf? ?');
    const backslash = await tokenError(
      { grant_type: 'client_credentials', scope: 'a\\b' },
      basic(svc.clientId, svc.secret!),
      400,
      'invalid_scope',
    );
    assert.equal(backslash.description, 'scope not allowed for this client: a?b');
  });

  it('/authorize with response_mode=form_post: the posted error_description is in form and bounded', async () => {
    for (const scope of ['orders:read "x\\y é\u0001', hugeScope()]) {
      const before = await ledgerHead(server);
      const res = await server.fetch(`${server.url}/authorize`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...authorizeParams(scope), response_mode: 'form_post' }).toString(),
      });
      const html = await res.text();
      assert.equal(res.status, 200);
      assert.match(html, /name="error" value="invalid_scope"/);
      const escaped = /name="error_description" value="([^"]*)"/.exec(html)?.[1];
      assert.ok(escaped !== undefined, html.slice(0, 300));
      const description = escaped
        .replace(/&#39;/g, "'")
        .replace(/&quot;/g, '"')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&');
      assertConforms(description);
      assert.equal(await ledgerHead(server), before);
    }
  });

  it('/token: 6,000 unknown scopes → invalid_scope, a description of at most 200 characters ending in ...', async () => {
    const { res, description } = await tokenError(
      { grant_type: 'client_credentials', scope: hugeScope() },
      basic(svc.clientId, svc.secret!),
      400,
      'invalid_scope',
    );
    assert.equal(description.length, MAX);
    assert.ok(description.endsWith('...'));
    assert.ok(description.startsWith('scope not allowed for this client: s0 s1 s2 '));
    assert.ok(res.text.length < 400, `a ${res.text.length}-byte error body`);
  });

  it('/authorize (POST): 6,000 unknown scopes → invalid_scope redirect with a bounded Location', async () => {
    const { location, description } = await authorizeError('POST', hugeScope(), 'invalid_scope');
    assert.equal(description.length, MAX);
    assert.ok(description.endsWith('...'));
    assert.ok(location.length < 600, `a ${location.length}-character Location`);
  });

  it('/token: a resource the description quotes (JSON-escaped) → invalid_target, its description in form', async () => {
    const plain = await tokenError(
      { grant_type: 'client_credentials', resource: 'api/orders' },
      basic(svc.clientId, svc.secret!),
      400,
      'invalid_target',
    );
    assert.equal(plain.description, "resource 'api/orders' must be an absolute URI without a fragment");
    await tokenError(
      { grant_type: 'client_credentials', resource: 'api/"x"\\y\u0007' },
      basic(svc.clientId, svc.secret!),
      400,
      'invalid_target',
    );
  });

  it("the router's own message quotes the request line: in form too (raw HTTP, an undecodable path)", async () => {
    await listenOnIssuerPort(server);
    const before = await ledgerHead(server);
    for (const path of ['/token%ZZ"x\\y', `/token%ZZ${'a'.repeat(400)}`]) {
      // Bytes no fetch would send as they are.
      const answer = await rawRequest(server, { method: 'POST', target: path, headers: [], body: Buffer.alloc(0) });
      assert.equal(answer.status, 400);
      const body = JSON.parse(answer.text) as { error: string; error_description: string };
      assert.equal(body.error, 'invalid_request');
      assertConforms(body.error_description);
    }
    assert.equal(await ledgerHead(server), before);
  });
});
