import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import { basic, discover, registerClient } from '../helpers/oauth.js';
import { handleClientCommand } from '../../src/application/clients.js';
import { expectOAuthError } from './support.js';

/** An invalid_client tells nothing about which client ids exist; discovery tells nothing of operator scopes. */
describe('client enumeration and advertised scopes', () => {
  let server: TestServer;
  let basicClient: { clientId: string; secret: string | null };
  let disabled: { clientId: string; secret: string | null };
  const cc = { grant_type: 'client_credentials' };
  before(async () => {
    server = await startTestServer();
    basicClient = await registerClient(server, {});
    disabled = await registerClient(server, {});
    await handleClientCommand(
      server.runtime.ports,
      { type: 'DisableClient', clientId: disabled.clientId },
      { actor: 'operator:test', correlationId: randomUUID() },
    );
    await registerClient(server, { scope: 'ledger:admin ledger:audit reports:read' });
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const refusal = async (form: Record<string, string>, headers: Record<string, string>) => {
    const res = await expectOAuthError(server, '/token', { ...cc, ...form }, headers, 401, 'invalid_client');
    return res.text;
  };

  it('unknown, disabled and known-with-a-wrong-secret clients get the same answer, over Basic and in the body', async () => {
    const known = await refusal({}, basic(basicClient.clientId, 'wrong secret'));
    assert.equal(await refusal({}, basic('nobody-registered', 'wrong secret')), known);
    assert.equal(await refusal({}, basic(disabled.clientId, disabled.secret!)), known);
    // client_secret_post against a client_secret_basic registration, with a wrong secret: no hint of the registration.
    const post = await refusal({ client_id: basicClient.clientId, client_secret: 'wrong secret' }, {});
    assert.equal(await refusal({ client_id: 'nobody-registered', client_secret: 'wrong secret' }, {}), post);
    assert.equal(
      await refusal({ client_id: basicClient.clientId }, {}),
      await refusal({ client_id: 'nobody-registered' }, {}),
    );
  });

  it('the right secret sent with the wrong method is told which method the client registered', async () => {
    const text = await refusal({ client_id: basicClient.clientId, client_secret: basicClient.secret! }, {});
    assert.match(
      JSON.parse(text).error_description,
      /registered with token_endpoint_auth_method client_secret_basic but used client_secret_post/,
    );
  });

  it('discovery leaves the operator scopes (ledger:*) out of scopes_supported', async () => {
    const scopes = (await discover(server)).scopes_supported ?? [];
    assert.ok(scopes.includes('reports:read'), scopes.join(' '));
    assert.deepEqual(
      scopes.filter((s) => s.startsWith('ledger:')),
      [],
    );
  });
});
