/** logo_uri and client_uri over the GraphQL management API: registered, updated, and refused when unsafe. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clientCredentialsToken, ledgerHead } from '../helpers/oauth.js';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';

describe('client display metadata over GraphQL', () => {
  let server: TestServer;
  let admin: string;

  async function gql(query: string, variables: Record<string, unknown>) {
    const res = await server.fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as {
      data?: any;
      errors?: Array<{ message: string; extensions?: { code?: string; reason?: string } }>;
    };
  }

  before(async () => {
    server = await startInjectServer();
    admin = (await clientCredentialsToken(server, 'ledger:admin')).token;
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const REGISTER = 'mutation($i: RegisterClientInput!) { registerClient(input: $i) { client { clientId metadata } } }';

  it('registers and updates logoUri, clientUri, policyUri and tosUri', async () => {
    const reg = await gql(REGISTER, {
      i: {
        clientId: 'branded',
        name: 'Orders',
        logoUri: 'https://cdn.example/logo.png',
        clientUri: 'https://orders.example/',
        policyUri: 'https://orders.example/privacy',
        tosUri: 'https://orders.example/terms',
      },
    });
    assert.equal(reg.errors, undefined, JSON.stringify(reg));
    assert.equal(reg.data.registerClient.client.metadata.logo_uri, 'https://cdn.example/logo.png');
    assert.equal(reg.data.registerClient.client.metadata.client_uri, 'https://orders.example/');
    assert.equal(reg.data.registerClient.client.metadata.policy_uri, 'https://orders.example/privacy');
    assert.equal(reg.data.registerClient.client.metadata.tos_uri, 'https://orders.example/terms');
    const upd = await gql(
      'mutation { updateClient(clientId: "branded", input: { logoUri: "https://cdn.example/v2.png" }) { metadata } }',
      {},
    );
    assert.equal(upd.errors, undefined, JSON.stringify(upd));
    assert.equal(upd.data.updateClient.metadata.logo_uri, 'https://cdn.example/v2.png');
    assert.equal(upd.data.updateClient.metadata.client_uri, 'https://orders.example/', 'kept');
  });

  for (const [what, input] of [
    ['an http logo', { logoUri: 'http://cdn.example/logo.png' }],
    ['a javascript: home page', { clientUri: 'javascript:alert(1)' }],
    ['an http privacy policy', { policyUri: 'http://orders.example/privacy' }],
    ['a relative terms of service', { tosUri: '/terms' }],
  ] as const) {
    it(`refuses ${what} as invalid_client_metadata, writing nothing`, async () => {
      const head = await ledgerHead(server);
      const res = await gql(REGISTER, { i: { clientId: `bad-${what.length}`, ...input } });
      assert.equal(res.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(res));
      assert.equal(res.errors?.[0]?.extensions?.reason, 'invalid_client_metadata');
      assert.equal(await ledgerHead(server), head);
    });
  }
});
