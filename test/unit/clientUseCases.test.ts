import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientMetadataChanges } from '../../src/application/clients.js';
import { registerClient } from '../../src/application/registerClient.js';
import { updateClient } from '../../src/application/updateClient.js';
import { loadConfig } from '../../src/config/config.js';
import { ClientCommandError } from '../../src/domain/clients/decide.js';
import type { ClientEvent } from '../../src/domain/clients/events.js';
import { clientMetadata } from '../../src/domain/clients/metadataDefaults.js';
import { ClientMetadataError } from '../../src/domain/clients/metadataRules.js';
import { clientStream } from '../../src/domain/clients/streams.js';
import { ClientSecretVerifier } from '../../src/security/clientSecrets.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { removeDir, tempDir } from '../helpers/server.js';

const ctx = { actor: 'operator:test', correlationId: 'c' };
const publicClient: ClientMetadataChanges = {
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code'],
  redirect_uris: ['https://app.example/cb'],
};

describe('registerClient and updateClient use cases (embedded ledger)', () => {
  const dir = tempDir();
  let rt: Runtime;
  before(async () => {
    rt = await openRuntime(loadConfig({ DATA_DIR: dir }), { role: 'cli' });
    await rt.runner.start();
  });
  after(async () => {
    await rt.close();
    removeDir(dir);
  });

  const streamOf = async (clientId: string) =>
    (await rt.store.readStream(clientStream(clientId))).map((e) => e as unknown as ClientEvent);

  /** The refusal is the one expected and the ledger did not move. */
  async function refusedWithoutWrite(run: () => Promise<unknown>, is: (e: unknown) => boolean): Promise<void> {
    const head = await rt.store.headPosition();
    await assert.rejects(run, (e) => is(e) || assert.fail(String(e)));
    assert.equal(await rt.store.headPosition(), head, 'nothing was written');
  }

  it('registers with the defaults, a generated id and a generated secret kept only as its SHA-256', async () => {
    const { client, secret } = await registerClient(rt.ports, { changes: {} }, ctx);
    assert.match(client.clientId, /^[A-Za-z0-9_-]{22}$/);
    assert.deepEqual(client.metadata, clientMetadata({}), "the domain's defaults");
    assert.equal(client.metadata.token_endpoint_auth_method, 'client_secret_basic');
    assert.ok(secret && secret.length === 43);
    assert.equal(client.secret?.alg, 'sha256');
    assert.equal(await new ClientSecretVerifier().check(client.clientId, secret, client.secret), true);
    const [registered] = await streamOf(client.clientId);
    assert.equal(registered.type, 'ClientRegistered');
    assert.ok(!JSON.stringify(registered.data).includes(secret), 'the secret in clear is not in the ledger');
  });

  it('keeps an operator-chosen secret as a slow hash and answers it back', async () => {
    const chosen = 'an operator chose this rather long secret';
    const { client, secret } = await registerClient(
      rt.ports,
      { clientId: 'chosen', changes: { client_name: 'Chosen', scope: null }, chosenSecret: chosen },
      ctx,
    );
    assert.equal(secret, chosen);
    assert.equal(client.clientId, 'chosen');
    assert.equal(client.metadata.client_name, 'Chosen');
    assert.equal(client.metadata.scope, '', 'null is not given: the default stays');
    assert.equal(client.secret?.alg, 'scrypt');
    assert.equal(await new ClientSecretVerifier().check('chosen', chosen, client.secret), true);
  });

  it('gives a public client no secret', async () => {
    const { client, secret } = await registerClient(rt.ports, { clientId: 'spa', changes: publicClient }, ctx);
    assert.equal(secret, null);
    assert.equal(client.secret, null);
    assert.equal(client.metadata.token_endpoint_auth_method, 'none');
  });

  it('refuses a chosen secret for a client that takes none, and a short one, writing nothing', async () => {
    await refusedWithoutWrite(
      () => registerClient(rt.ports, { clientId: 'spa2', changes: publicClient, chosenSecret: 'x'.repeat(40) }, ctx),
      (e) =>
        e instanceof ClientCommandError &&
        e.code === 'invalid_client_metadata' &&
        e.message === 'none clients have no secret',
    );
    await refusedWithoutWrite(
      () => registerClient(rt.ports, { clientId: 'short', changes: {}, chosenSecret: 'short' }, ctx),
      (e) => e instanceof ClientMetadataError && e.error === 'invalid_client_metadata',
    );
    assert.deepEqual(await streamOf('spa2'), []);
    assert.deepEqual(await streamOf('short'), []);
  });

  it('refuses a second registration of an id, writing nothing', async () => {
    await refusedWithoutWrite(
      () => registerClient(rt.ports, { clientId: 'chosen', changes: {} }, ctx),
      (e) => e instanceof ClientCommandError && e.code === 'client_exists',
    );
  });

  it('updates the given fields, keeps every other one and the secret', async () => {
    const was = (await registerClient(rt.ports, { clientId: 'upd', changes: { client_name: 'Before' } }, ctx)).client;
    const now = await updateClient(
      rt.ports,
      'upd',
      { scope: 'read write', client_name: undefined, access_token_ttl: null },
      { ...ctx, correlationId: 'c2' },
    );
    assert.deepEqual(now.metadata, { ...was.metadata, scope: 'read write' });
    assert.deepEqual(now.secret, was.secret);
    assert.deepEqual(
      (await streamOf('upd')).map((e) => e.type),
      ['ClientRegistered', 'ClientUpdated'],
    );
  });

  it('refuses to update an unknown client (client_not_found) or to break its metadata, writing nothing', async () => {
    await refusedWithoutWrite(
      () => updateClient(rt.ports, 'nobody', { scope: 'a' }, ctx),
      (e) => e instanceof ClientCommandError && e.code === 'client_not_found' && e.error === 'invalid_client',
    );
    await refusedWithoutWrite(
      () => updateClient(rt.ports, 'upd', { grant_types: ['authorization_code'] }, ctx),
      (e) => e instanceof ClientMetadataError && e.code === 'invalid_redirect_uri',
    );
  });
});
