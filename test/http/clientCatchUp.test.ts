/**
 * A client registered by another process (the CLI, another instance) is usable at once: an id this
 * server's views do not hold makes it read the ledger up to date before it answers, instead of
 * refusing until its next look at the ledger. An id that is nowhere stays invalid_client.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/config.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { basic, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';

describe('a client registered by another process', () => {
  let server: TestServer;
  /** The other process: its own store and views on the same ledger file. */
  let other: Runtime;

  before(async () => {
    server = await startInjectServer({ env: { LOG_LEVEL: 'silent' } });
    other = await openRuntime(loadConfig({ DATA_DIR: server.dataDir }), { role: 'cli' });
    await other.runner.start();
  });
  after(async () => {
    await other?.close();
    await server?.close();
    removeDir(server.dataDir);
  });

  it('gets a token from the server the moment its registration returns', async () => {
    for (let i = 0; i < 5; i++) {
      const { clientId, secret } = await registerClient({ runtime: other } as TestServer, { scope: 'orders:read' });
      const res = await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(clientId, secret!));
      assert.equal(res.status, 200, res.text);
    }
  });

  it('reaches the login page at /authorize the moment its registration returns', async () => {
    const { clientId } = await registerClient(
      { runtime: other } as TestServer,
      {
        grant_types: ['authorization_code'],
        redirect_uris: ['https://app.example/cb'],
        token_endpoint_auth_method: 'none',
        scope: 'openid',
      },
      null,
    );
    const query = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: 'https://app.example/cb',
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const res = await server.fetch(`${server.url}/authorize?${query}`, { redirect: 'manual' });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /<form[^>]+login/);
  });

  it('still refuses an id registered nowhere: invalid_client, nothing written', async () => {
    const head = await ledgerHead(server);
    const res = await postForm(
      server,
      '/token',
      { grant_type: 'client_credentials' },
      basic('nobody-registered-this', 'whatever'),
    );
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_client');
    assert.equal(await ledgerHead(server), head);
  });
});
