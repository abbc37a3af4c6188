/** ClientUpdated records what an operator changed, field by field, never a secret or its hash. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clientCredentialsToken, ledgerHead } from '../helpers/oauth.js';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';
import { metadataChanges } from '../../src/domain/clients/metadataChanges.js';
import type { ClientMetadata } from '../../src/domain/clients/events.js';

describe('ClientUpdated: before and after of each changed field', () => {
  let server: TestServer;
  let admin: string;

  async function gql(query: string) {
    const res = await server.fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ query }),
    });
    return (await res.json()) as { data?: any; errors?: unknown[] };
  }

  before(async () => {
    server = await startInjectServer();
    admin = (await clientCredentialsToken(server, 'ledger:admin')).token;
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  it('an update through GraphQL names the fields it changed, with both values', async () => {
    const reg = await gql(
      'mutation { registerClient(input: { clientId: "audited", name: "Orders", logoUri: "https://cdn.example/1.png" })' +
        ' { client { clientId } clientSecret } }',
    );
    assert.equal(reg.errors, undefined, JSON.stringify(reg));
    const secret = reg.data.registerClient.clientSecret as string;
    const head = await ledgerHead(server);
    const upd = await gql(
      'mutation { updateClient(clientId: "audited", input: { logoUri: "https://cdn.example/2.png",' +
        ' tosUri: "https://orders.example/terms" }) { clientId } }',
    );
    assert.equal(upd.errors, undefined, JSON.stringify(upd));
    const written = await server.runtime.store.readAll(head, 10);
    assert.deepEqual(
      written.map((e) => [e.type, e.metadata.schemaVersion]),
      [['ClientUpdated', 2]],
    );
    const data = written[0].data as { changes: unknown; metadata: Record<string, unknown> };
    assert.deepEqual(data.changes, {
      logo_uri: { before: 'https://cdn.example/1.png', after: 'https://cdn.example/2.png' },
      tos_uri: { after: 'https://orders.example/terms' },
    });
    const text = JSON.stringify(data);
    assert.ok(!text.includes(secret) && !/"secret"|sha256|scrypt/.test(text), 'no secret, no hash');
  });

  it('metadataChanges: key order is no change; a removed field has only `before`', () => {
    const base = { scope: 'a', jwks: { keys: [{ kty: 'EC', x: '1', y: '2' }] } } as unknown as ClientMetadata;
    const reordered = { jwks: { keys: [{ y: '2', x: '1', kty: 'EC' }] }, scope: 'a' } as unknown as ClientMetadata;
    assert.deepEqual(metadataChanges(base, reordered), {});
    assert.deepEqual(metadataChanges(base, { scope: 'b' } as unknown as ClientMetadata), {
      scope: { before: 'a', after: 'b' },
      jwks: { before: { keys: [{ kty: 'EC', x: '1', y: '2' }] } },
    });
  });
});
