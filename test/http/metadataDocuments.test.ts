/**
 * Client ID metadata documents over HTTP: documents served on 127.0.0.1 (with the development setting) are fetched
 * when their URL is a client_id, recorded in the ledger once per version, cached by their Cache-Control, and refused
 * (with nothing written) when the fetch or the document breaks a rule.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { removeDir } from '../helpers/server.js';
import { startInjectServer, type InjectServer } from '../helpers/injectServer.js';
import { ledgerHead, postForm } from '../helpers/oauth.js';
import { startDocumentServer, type DocumentServer } from '../helpers/metadataDocumentServer.js';
import { clientStream } from '../../src/domain/clients/streams.js';
import { disableClient } from '../../src/application/clients.js';

const CHALLENGE = createHash('sha256').update('v'.repeat(43)).digest('base64url');
const ON = {
  CLIENT_ID_METADATA_DOCUMENTS: 'on',
  CLIENT_ID_METADATA_DOCUMENTS_ALLOW_HTTP_LOOPBACK: 'true',
  // Every case names new document URLs from one address; the rate on new clients has its own case.
  REGISTRATION_RATE_PER_IP: '100000',
};

describe('client ID metadata documents', () => {
  let server: InjectServer;
  let docs: DocumentServer;
  let now = Date.UTC(2026, 0, 1);
  const clock = () => now;
  const advance = (seconds: number) => (now += seconds * 1000);

  before(async () => {
    docs = await startDocumentServer();
    server = await startInjectServer({ env: ON, clock });
  });
  after(async () => {
    await server.close();
    await docs.close();
    removeDir(server.dataDir);
  });

  /** A fresh path, its URL (the client_id) and a valid document for it. */
  const client = (extra: Record<string, unknown> = {}) => {
    const path = `/clients/${randomUUID()}.json`;
    const url = docs.url(path);
    const document = {
      client_id: url,
      client_name: 'Notes for MCP',
      redirect_uris: ['http://127.0.0.1:9/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      scope: 'notes:read',
      ...extra,
    };
    return { path, url, document };
  };
  const authorize = (clientId: string) =>
    server.fetch(
      `${server.url}/authorize?${new URLSearchParams({
        client_id: clientId,
        redirect_uri: 'http://127.0.0.1:9/callback',
        response_type: 'code',
        scope: 'notes:read',
        state: 's',
        code_challenge: CHALLENGE,
        code_challenge_method: 'S256',
      })}`,
      { redirect: 'manual' },
    );
  const token = (clientId: string) =>
    postForm(server, '/token', {
      grant_type: 'authorization_code',
      client_id: clientId,
      code: 'not-a-code',
      redirect_uri: 'http://127.0.0.1:9/callback',
      code_verifier: 'v'.repeat(43),
    });
  const events = async (url: string) =>
    (await server.runtime.store.readStream(clientStream(url))).map((e) => ({ type: e.type, data: e.data as any }));
  const sha256 = (body: string) => createHash('sha256').update(body).digest('base64url');
  const unescape = (html: string) =>
    html
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');

  it('advertises client_id_metadata_document_supported', async () => {
    const res = await server.fetch(`${server.url}/.well-known/oauth-authorization-server`);
    assert.equal((await res.json()).client_id_metadata_document_supported, true);
  });

  it('happy path: the first use fetches the document and records ClientRegistered with its URL and hash', async () => {
    const { path, url, document } = client();
    docs.serveJson(path, document);
    const page = await authorize(url);
    const html = await page.text();
    assert.equal(page.status, 200, html.slice(0, 500));
    assert.match(html, /name="password"/);
    assert.match(html, /Notes for MCP/);
    const recorded = await events(url);
    assert.deepEqual(
      recorded.map((e) => e.type),
      ['ClientRegistered'],
    );
    assert.deepEqual(recorded[0].data.registration, {
      via: 'metadata_document',
      url,
      sha256: sha256(JSON.stringify(document)),
    });
    assert.equal(recorded[0].data.metadata.token_endpoint_auth_method, 'none');
    assert.equal(recorded[0].data.secret, null);
    assert.equal(docs.hits(path), 1);
  });

  it('same document on a later fetch: nothing is written; a changed one is recorded once', async () => {
    const { path, url, document } = client();
    docs.serveJson(path, document, 'max-age=60');
    assert.equal((await authorize(url)).status, 200);
    advance(61);
    const head = await ledgerHead(server);
    assert.equal((await authorize(url)).status, 200);
    assert.equal(docs.hits(path), 2, 'fetched again once stale');
    assert.equal(await ledgerHead(server), head, 'the same bytes write nothing');

    const changed = { ...document, client_name: 'Notes 2' };
    docs.serveJson(path, changed, 'max-age=60');
    advance(61);
    const pages = await Promise.all([authorize(url), authorize(url), authorize(url)]);
    assert.deepEqual(
      pages.map((p) => p.status),
      [200, 200, 200],
    );
    assert.equal(docs.hits(path), 3, 'concurrent uses share one fetch');
    const recorded = await events(url);
    assert.deepEqual(
      recorded.map((e) => e.type),
      ['ClientRegistered', 'ClientUpdated'],
    );
    assert.deepEqual(recorded[1].data.document, { url, sha256: sha256(JSON.stringify(changed)) });
    assert.equal(recorded[1].data.metadata.client_name, 'Notes 2');
    advance(61);
    const after = await ledgerHead(server);
    assert.equal((await authorize(url)).status, 200);
    assert.equal(await ledgerHead(server), after, 'recorded once');
  });

  it('Cache-Control: max-age is honoured (within bounds); no-store keeps the minimum too', async () => {
    const cached = client();
    docs.serveJson(cached.path, cached.document, 'public, max-age=300');
    await authorize(cached.url);
    advance(299);
    await authorize(cached.url);
    assert.equal(docs.hits(cached.path), 1, 'fresh for 300 s');
    advance(2);
    await authorize(cached.url);
    assert.equal(docs.hits(cached.path), 2, 'stale after 300 s');

    const short = client();
    docs.serveJson(short.path, short.document, 'max-age=0');
    await authorize(short.url);
    advance(10);
    await authorize(short.url);
    assert.equal(docs.hits(short.path), 1, 'max-age=0 still keeps the 30 s minimum');

    const unstored = client();
    docs.serveJson(unstored.path, unstored.document, 'no-store');
    await authorize(unstored.url);
    await authorize(unstored.url);
    assert.equal(docs.hits(unstored.path), 1, 'no-store cannot make every request a fetch');
    advance(31);
    await authorize(unstored.url);
    assert.equal(docs.hits(unstored.path), 2);
  });

  /** Each refusal: the exact reason at /token and on the /authorize page, and not one event written. */
  const refusals: [string, (c: ReturnType<typeof client>) => void, string][] = [
    [
      'a document larger than 5 KiB',
      (c) => docs.serveJson(c.path, { ...c.document, padding: 'x'.repeat(6000) }),
      'the document is larger than 5120 bytes',
    ],
    [
      'a document sent in chunks past 5 KiB without a length',
      (c) =>
        docs.serve(c.path, (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          for (let i = 0; i < 8; i++) res.write('x'.repeat(1024));
          res.end();
        }),
      'the document is larger than 5120 bytes',
    ],
    [
      'a redirect',
      (c) => docs.serve(c.path, { status: 302, headers: { location: docs.url('/elsewhere.json') } }),
      'the server answered 302, a redirect, which is not followed',
    ],
    [
      'a non-JSON content type',
      (c) => docs.serve(c.path, { headers: { 'content-type': 'text/html' }, body: '<html></html>' }),
      'the content type is text/html, not application/json',
    ],
    [
      'a body that is not JSON',
      (c) => docs.serve(c.path, { headers: { 'content-type': 'application/json' }, body: '{"client_id":' }),
      'the document is not valid JSON',
    ],
    ['a 404', () => undefined, 'the server answered 404, not 200'],
    [
      'a client_id that is not the URL',
      (c) => docs.serveJson(c.path, { ...c.document, client_id: 'https://other.example/c.json' }),
      'its client_id "https://other.example/c.json" is not the URL it was fetched from',
    ],
    [
      'a client secret',
      (c) => docs.serveJson(c.path, { ...c.document, client_secret: 'shh' }),
      'it must not contain client_secret or client_secret_expires_at',
    ],
    [
      'client_secret_basic',
      (c) => docs.serveJson(c.path, { ...c.document, token_endpoint_auth_method: 'client_secret_basic' }),
      'token_endpoint_auth_method must be none or private_key_jwt, not "client_secret_basic"',
    ],
    [
      'metadata every registration refuses (no redirect URI for the code grant)',
      (c) => docs.serveJson(c.path, { ...c.document, redirect_uris: [] }),
      'authorization_code needs at least one redirect URI',
    ],
  ];
  for (const [what, serve, reason] of refusals) {
    it(`refuses ${what}: "${reason}", writing nothing`, async () => {
      const c = client();
      serve(c);
      const head = await ledgerHead(server);
      const res = await token(c.url);
      assert.equal(res.status, 401, res.text);
      assert.deepEqual(res.body, {
        error: 'invalid_client',
        // RFC 6749 §5.2 has no double quote: error descriptions carry single ones.
        error_description: `client ID metadata document refused: ${reason.replace(/"/g, "'")}`,
      });
      const page = await authorize(c.url);
      assert.equal(page.status, 400, 'shown, never redirected');
      assert.equal(page.headers.get('location'), null);
      assert.ok(
        unescape(await page.text()).includes(
          `The application's client ID metadata document cannot be used: ${reason}.`,
        ),
      );
      assert.equal(await ledgerHead(server), head);
      assert.deepEqual(await events(c.url), []);
      assert.equal(docs.hits('/elsewhere.json'), 0);
    });
  }

  it('refuses a document that does not arrive in time: "no complete answer within 4000 ms"', async () => {
    const c = client();
    docs.serve(c.path, { headers: { 'content-type': 'application/json' }, body: '{}', delayMs: 10_000 });
    const head = await ledgerHead(server);
    const started = Date.now();
    const res = await token(c.url);
    assert.deepEqual(res.body, {
      error: 'invalid_client',
      error_description: 'client ID metadata document refused: no complete answer within 4000 ms',
    });
    assert.ok(Date.now() - started < 6000);
    assert.equal(await ledgerHead(server), head);
  });

  it('a disabled client stays disabled when its document changes; nothing is written', async () => {
    const { path, url, document } = client();
    docs.serveJson(path, document);
    assert.equal((await authorize(url)).status, 200);
    await disableClient(server.runtime.ports, url, { actor: 'operator:test', correlationId: randomUUID() });
    docs.serveJson(path, { ...document, client_name: 'Changed' });
    advance(3600);
    const head = await ledgerHead(server);
    const page = await authorize(url);
    assert.equal(page.status, 400);
    assert.equal((await token(url)).body.error, 'invalid_client');
    assert.equal(await ledgerHead(server), head);
    assert.equal(docs.hits(path), 1, 'a disabled client is not fetched for');
    assert.equal((await events(url)).at(-1)!.type, 'ClientDisabled');
  });

  it('a URL that breaks the draft rules is refused without a fetch', async () => {
    const head = await ledgerHead(server);
    const res = await token(`${docs.origin}/a/../b.json`);
    assert.equal(
      res.body.error_description,
      "client ID metadata document refused: the URL has a '.' or '..' path segment",
    );
    const localhost = await token(`http://localhost:${docs.port}/c.json`);
    assert.equal(
      localhost.body.error_description,
      'client ID metadata document refused: the URL must use https (http only on 127.0.0.1 in development)',
    );
    assert.equal(await ledgerHead(server), head);
  });
});

describe('client ID metadata documents without the development setting', () => {
  let server: InjectServer;
  let docs: DocumentServer;
  before(async () => {
    docs = await startDocumentServer();
    server = await startInjectServer({ env: { CLIENT_ID_METADATA_DOCUMENTS: 'on' } });
  });
  after(async () => {
    await server.close();
    await docs.close();
    removeDir(server.dataDir);
  });

  for (const [what, url, reason] of [
    ['http on 127.0.0.1', () => docs.url('/c.json'), 'the URL must use https'],
    ['an https loopback IP', () => `https://127.0.0.1:${docs.port}/c.json`, 'the URL names a loopback address'],
    [
      'a name that resolves to loopback',
      () => `https://localhost:${docs.port}/c.json`,
      /^localhost resolves to a loopback address \((127\.0\.0\.1|::1)\)$/,
    ],
  ] as const) {
    it(`refuses ${what} before connecting, writing nothing`, async () => {
      const head = await ledgerHead(server);
      const res = await postForm(server, '/token', { grant_type: 'client_credentials', client_id: url() });
      assert.equal(res.body.error, 'invalid_client');
      const why = res.body.error_description.replace('client ID metadata document refused: ', '');
      if (typeof reason === 'string') assert.equal(why, reason);
      else assert.match(why, reason);
      assert.equal(docs.hits('/c.json'), 0);
      assert.equal(await ledgerHead(server), head);
    });
  }
});

describe('client ID metadata documents off (the default)', () => {
  let server: InjectServer;
  let docs: DocumentServer;
  before(async () => {
    docs = await startDocumentServer();
    server = await startInjectServer();
  });
  after(async () => {
    await server.close();
    await docs.close();
    removeDir(server.dataDir);
  });

  it('a URL client_id is an unknown client: nothing fetched, nothing advertised', async () => {
    const res = await postForm(server, '/token', { grant_type: 'client_credentials', client_id: docs.url('/c.json') });
    assert.deepEqual(res.body, { error: 'invalid_client', error_description: 'client authentication failed' });
    assert.equal(docs.hits('/c.json'), 0);
    const meta = await (await server.fetch(`${server.url}/.well-known/openid-configuration`)).json();
    assert.equal(meta.client_id_metadata_document_supported, undefined);
  });
});
