import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir, tempDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';
import { basic, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { runCli } from '../helpers/cli.js';

const API = 'https://api.example/';
const OTHER_API = 'https://bank.example/';

/**
 * RFC 7662 §4: who may learn what of a token. By default any confidential client may introspect any
 * token (as Keycloak and oidc-provider do); introspection_access own_and_audience narrows a client to
 * its own tokens and those addressed to its introspection_audiences, every other one being inactive.
 */
describe('introspection_access: all (default) and own_and_audience', () => {
  let server: TestServer;
  let app: { clientId: string; secret: string | null };
  let open: { clientId: string; secret: string | null };
  let restricted: { clientId: string; secret: string };
  let admin: string;

  const gql = async (query: string, variables: Record<string, unknown>) => {
    const res = await server.fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    return body.data;
  };
  const token = async (client: { clientId: string; secret: string | null }, resource?: string) => {
    const res = await postForm(
      server,
      '/token',
      { grant_type: 'client_credentials', ...(resource ? { resource } : {}) },
      basic(client.clientId, client.secret!),
    );
    assert.equal(res.status, 200, res.text);
    return res.body.access_token as string;
  };
  const introspect = async (caller: { clientId: string; secret: string | null }, t: string) => {
    const before = await ledgerHead(server);
    const res = await postForm(server, '/introspect', { token: t }, basic(caller.clientId, caller.secret!));
    assert.equal(res.status, 200, res.text);
    assert.equal(await ledgerHead(server), before, 'introspection writes nothing');
    return res.body as Record<string, unknown>;
  };

  before(async () => {
    server = await startInjectServer();
    const operator = await registerClient(server, { scope: 'ledger:admin' });
    admin = await token(operator);
    app = await registerClient(server, { scope: 'orders:read' });
    open = await registerClient(server, { scope: '' });
    // Registered through GraphQL, as an operator would.
    const reg = await gql(
      'mutation($i: RegisterClientInput!) { registerClient(input: $i) { clientSecret client { clientId metadata } } }',
      {
        i: { scope: 'orders:read', introspectionAccess: 'own_and_audience', introspectionAudiences: [API] },
      },
    );
    restricted = { clientId: reg.registerClient.client.clientId, secret: reg.registerClient.clientSecret };
    assert.equal(reg.registerClient.client.metadata.introspection_access, 'own_and_audience');
    assert.deepEqual(reg.registerClient.client.metadata.introspection_audiences, [API]);
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  it('by default a confidential client learns sub, scope and client_id of any token', async () => {
    const answer = await introspect(open, await token(app, OTHER_API));
    assert.equal(answer.active, true);
    assert.equal(answer.client_id, app.clientId);
    assert.equal(answer.scope, 'orders:read');
    assert.equal(answer.sub, app.clientId);
  });

  it('own_and_audience: a token addressed to its audience and its own tokens are active; any other is {"active":false}', async () => {
    const forApi = await introspect(restricted, await token(app, API));
    assert.equal(forApi.active, true);
    assert.equal(forApi.client_id, app.clientId);
    assert.equal((await introspect(restricted, await token(restricted))).active, true, 'its own token');
    const elsewhere = await token(app, OTHER_API);
    assert.deepEqual(await introspect(restricted, elsewhere), { active: false });
    assert.deepEqual(
      await introspect(restricted, await token(app)),
      { active: false },
      'a token for this server (aud = issuer)',
    );
    assert.equal((await introspect(open, elsewhere)).active, true, 'the token is active for an unrestricted client');
  });

  it('updating the client to introspection_access all lifts the restriction', async () => {
    const elsewhere = await token(app, OTHER_API);
    await gql(
      'mutation($id: ID!) { updateClient(clientId: $id, input: { introspectionAccess: "all" }) { clientId } }',
      { id: restricted.clientId },
    );
    assert.equal((await introspect(restricted, elsewhere)).active, true);
    await gql(
      'mutation($id: ID!) { updateClient(clientId: $id, input: { introspectionAccess: "own_and_audience" }) { clientId } }',
      { id: restricted.clientId },
    );
    assert.deepEqual(await introspect(restricted, elsewhere), { active: false });
  });

  it('the CLI sets it at creation; an audience that is not an absolute URI is refused with nothing written', async () => {
    const dataDir = tempDir();
    try {
      const env = { DATA_DIR: dataDir };
      const made = await runCli(
        [
          'clients',
          'create',
          '--client-id',
          'rs',
          '--introspection-access',
          'own_and_audience',
          '--introspection-audiences',
          `${API},${OTHER_API}`,
          '--json',
        ],
        env,
      );
      assert.equal(made.code, 0, made.stderr);
      const info = JSON.parse(made.stdout);
      assert.equal(info.introspection_access, 'own_and_audience');
      assert.deepEqual(info.introspection_audiences, [API, OTHER_API]);
      const bad = await runCli(
        [
          'clients',
          'create',
          '--client-id',
          'rs2',
          '--introspection-access',
          'own_and_audience',
          '--introspection-audiences',
          'api/orders',
          '--json',
        ],
        env,
      );
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /introspection_audiences/);
      assert.equal((await runCli(['clients', 'show', 'rs2', '--json'], env)).code === 0, false, 'not registered');
    } finally {
      removeDir(dataDir);
    }
  });
});
