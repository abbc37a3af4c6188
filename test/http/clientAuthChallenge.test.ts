import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';
import { basic, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';

/** What the server has always sent after a failed HTTP Basic attempt. */
const CHALLENGE = 'Basic realm="token-ledger", charset="UTF-8"';

const ENDPOINTS: Array<[string, Record<string, string>]> = [
  ['/token', { grant_type: 'client_credentials' }],
  ['/introspect', { token: 'not-a-token' }],
  ['/revoke', { token: 'not-a-token' }],
];

const ATTEMPTS: Array<[string, string]> = [
  ['a Bearer token', 'Bearer xyz'],
  ['an unknown scheme', 'Garbage abc'],
  ['a scheme with no credentials', 'Bearer'],
  ['a Basic header with a wrong secret', ''],
];

/** RFC 6749 §5.2: a client that tried the Authorization header gets a 401 with a challenge. */
describe('WWW-Authenticate on 401 invalid_client after an Authorization header of any scheme', () => {
  let server: TestServer;
  let svc: { clientId: string; secret: string | null };
  let post: { clientId: string; secret: string | null };
  let publicClient: { clientId: string };
  before(async () => {
    server = await startInjectServer();
    svc = await registerClient(server, {});
    post = await registerClient(server, { token_endpoint_auth_method: 'client_secret_post' });
    publicClient = await registerClient(
      server,
      {
        grant_types: ['authorization_code'],
        redirect_uris: ['https://app.example/cb'],
        token_endpoint_auth_method: 'none',
      },
      null,
    );
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  async function expectInvalidClient(path: string, form: Record<string, string>, headers: Record<string, string>) {
    const before = await ledgerHead(server);
    const res = await postForm(server, path, form, headers);
    assert.equal(res.status, 401, res.text);
    assert.equal(res.body?.error, 'invalid_client', res.text);
    assert.deepEqual(Object.keys(res.body).sort(), ['error', 'error_description']);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(await ledgerHead(server), before, 'nothing written to the ledger');
    return res;
  }

  for (const [path, form] of ENDPOINTS) {
    for (const [what, header] of ATTEMPTS) {
      it(`${path}: ${what} → 401 invalid_client with a Basic challenge`, async () => {
        const authorization = header || basic(svc.clientId, 'wrong').authorization;
        const res = await expectInvalidClient(path, form, { authorization });
        assert.equal(res.headers.get('www-authenticate'), CHALLENGE);
      });
    }

    it(`${path}: a Bearer header beside a wrong client_secret in the body → challenged`, async () => {
      const res = await expectInvalidClient(
        path,
        { ...form, client_id: post.clientId, client_secret: 'wrong' },
        { authorization: 'Bearer xyz' },
      );
      assert.equal(res.headers.get('www-authenticate'), CHALLENGE);
    });

    it(`${path}: no Authorization header and a wrong client_secret in the body → no challenge`, async () => {
      const res = await expectInvalidClient(path, { ...form, client_id: post.clientId, client_secret: 'wrong' }, {});
      assert.equal(res.headers.get('www-authenticate'), null);
    });
  }

  it('/introspect: a public client named beside a Bearer header → challenged (introspection needs a confidential client)', async () => {
    const res = await expectInvalidClient(
      '/introspect',
      { token: 'not-a-token', client_id: publicClient.clientId },
      { authorization: 'Bearer xyz' },
    );
    assert.equal(res.headers.get('www-authenticate'), CHALLENGE);
    const bare = await expectInvalidClient(
      '/introspect',
      { token: 'not-a-token', client_id: publicClient.clientId },
      {},
    );
    assert.equal(bare.headers.get('www-authenticate'), null);
  });

  it('a good Basic login still gets no challenge', async () => {
    const res = await postForm(
      server,
      '/token',
      { grant_type: 'client_credentials' },
      basic(svc.clientId, svc.secret!),
    );
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('www-authenticate'), null);
  });
});
