/**
 * Client ID metadata documents are held to what every self-registration is: the server's registration policy (the
 * file's, or one set through GraphQL) and no operator (`ledger:`) scope. A refused document writes nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeDir } from '../helpers/server.js';
import { startInjectServer, type InjectServer } from '../helpers/injectServer.js';
import { ledgerHead, postForm } from '../helpers/oauth.js';
import { startDocumentServer, type DocumentServer } from '../helpers/metadataDocumentServer.js';
import { clientStream } from '../../src/domain/clients/streams.js';
import { clearRegistrationPolicy, setRegistrationPolicy } from '../../src/application/registrationPolicy.js';

const CHALLENGE = createHash('sha256').update('v'.repeat(43)).digest('base64url');
const REDIRECT = 'http://127.0.0.1:9/callback';
const FILE_POLICY = {
  grantTypes: ['authorization_code', 'refresh_token'],
  scope: 'notes:read',
  redirectUriPrefixes: ['http://127.0.0.1:'],
  maxAccessTokenTtl: 900,
};

describe('client ID metadata documents and the registration policy', () => {
  let server: InjectServer;
  let docs: DocumentServer;
  let now = Date.UTC(2026, 0, 1);
  const policyDir = mkdtempSync(join(tmpdir(), 'cimd-policy-'));

  before(async () => {
    const file = join(policyDir, 'policy.json');
    writeFileSync(file, JSON.stringify(FILE_POLICY));
    docs = await startDocumentServer();
    server = await startInjectServer({
      env: {
        CLIENT_ID_METADATA_DOCUMENTS: 'on',
        CLIENT_ID_METADATA_DOCUMENTS_ALLOW_HTTP_LOOPBACK: 'true',
        REGISTRATION_POLICY_FILE: file,
      },
      clock: () => now,
    });
  });
  after(async () => {
    await server.close();
    await docs.close();
    removeDir(server.dataDir);
    removeDir(policyDir);
  });

  /** A document served at a fresh path; its URL is the client_id. */
  const served = (extra: Record<string, unknown> = {}) => {
    const path = `/clients/${randomUUID()}.json`;
    const url = docs.url(path);
    const document = { client_id: url, client_name: 'Notes', redirect_uris: [REDIRECT], scope: 'notes:read', ...extra };
    docs.serveJson(path, document, 'max-age=60');
    return { path, url, document };
  };
  const authorize = (clientId: string) =>
    server.fetch(
      `${server.url}/authorize?${new URLSearchParams({
        client_id: clientId,
        redirect_uri: REDIRECT,
        response_type: 'code',
        scope: 'notes:read',
        state: 's',
        code_challenge: CHALLENGE,
        code_challenge_method: 'S256',
      })}`,
      { redirect: 'manual' },
    );
  const token = (clientId: string) =>
    postForm(server, '/token', { grant_type: 'refresh_token', client_id: clientId, refresh_token: 'not-a-token' });
  const unescape = (html: string) =>
    html
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');
  const ctx = { actor: 'operator', correlationId: randomUUID() };

  /** The document's refusal, as /token and /authorize tell it, with nothing written. */
  async function assertRefused(url: string, reason: string) {
    const head = await ledgerHead(server);
    const res = await token(url);
    assert.equal(res.status, 401, res.text);
    assert.deepEqual(res.body, {
      error: 'invalid_client',
      error_description: `client ID metadata document refused: ${reason}`,
    });
    const page = await authorize(url);
    assert.equal(page.status, 400, 'shown, never redirected');
    assert.equal(page.headers.get('location'), null);
    const html = unescape(await page.text());
    assert.ok(html.includes(`The application's client ID metadata document cannot be used: ${reason}.`), html);
    assert.equal(await ledgerHead(server), head);
  }

  it('a document within the policy is recorded, its token lifetime capped by the policy (it cannot ask for one)', async () => {
    const { url } = served();
    assert.equal((await authorize(url)).status, 200);
    const stream = await server.runtime.store.readStream(clientStream(url));
    assert.deepEqual(
      stream.map((e) => e.type),
      ['ClientRegistered'],
    );
    assert.equal((stream[0].data as { metadata: { access_token_ttl: number } }).metadata.access_token_ttl, 900);
  });

  const refusals: [string, Record<string, unknown>, string][] = [
    ['a scope the policy does not name', { scope: 'notes:read notes:delete' }, 'scope not allowed here: notes:delete'],
    [
      'a grant type it does not name',
      { grant_types: ['authorization_code', 'client_credentials'] },
      'grant_types not allowed here: client_credentials',
    ],
    [
      'a redirect URI outside its prefixes',
      { redirect_uris: ['https://notes.example/cb'] },
      'redirect URI https://notes.example/cb is not allowed here',
    ],
    [
      'an operator scope',
      { scope: 'notes:read ledger:admin' },
      "scope ledger:admin is for operators' clients only: it cannot be self-registered",
    ],
  ];
  for (const [what, extra, reason] of refusals) {
    it(`refuses ${what}, writing nothing`, async () => {
      const { url } = served(extra);
      await assertRefused(url, reason);
      assert.deepEqual(await server.runtime.store.readStream(clientStream(url)), []);
    });
  }

  it('a policy set through GraphQL holds for a recorded client from its next fetch; cleared, the file holds again', async () => {
    const { url } = served({ scope: 'notes:read notes:write' });
    await setRegistrationPolicy(server.runtime.ports, { scope: 'notes:read notes:write' }, ctx);
    assert.equal((await authorize(url)).status, 200, 'recorded under the wider policy');
    await setRegistrationPolicy(server.runtime.ports, { scope: 'notes:read' }, ctx);
    assert.equal((await authorize(url)).status, 200, 'still fresh: not fetched again');
    now += 61_000;
    await assertRefused(url, 'scope not allowed here: notes:write');
    await clearRegistrationPolicy(server.runtime.ports, ctx);
    now += 61_000;
    await assertRefused(url, 'scope not allowed here: notes:write');
  });
});
