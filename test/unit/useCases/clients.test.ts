import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { disableClient, type ClientMetadataChanges } from '../../../src/application/clients.js';
import { issueAccessToken } from '../../../src/application/issueAccessToken.js';
import { clientById } from '../../../src/application/queries/clients.js';
import { registerClient } from '../../../src/application/registerClient.js';
import { startSession } from '../../../src/application/startSession.js';
import { updateClient } from '../../../src/application/updateClient.js';
import { ClientCommandError } from '../../../src/domain/clients/decide.js';
import type { ClientEvent } from '../../../src/domain/clients/events.js';
import { clientMetadata } from '../../../src/domain/clients/metadataDefaults.js';
import { ClientMetadataError } from '../../../src/domain/clients/metadataRules.js';
import { clientStream } from '../../../src/domain/clients/streams.js';
import { tokenStream } from '../../../src/domain/tokens/streams.js';
import { ClientSecretVerifier } from '../../../src/security/clientSecrets.js';
import { ISSUER, memoryPorts, type MemoryPorts } from '../../helpers/memoryPorts.js';
import * as given from './fixtures.js';

const ctx = { actor: 'operator:test', correlationId: 'c' };
const publicClient: ClientMetadataChanges = {
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code'],
  redirect_uris: ['https://app.example/cb'],
};

describe('registerClient and updateClient', () => {
  let ports: MemoryPorts;
  before(async () => {
    ports = await memoryPorts();
  });
  after(() => ports.close());

  const streamOf = async (clientId: string) =>
    (await ports.store.readStream(clientStream(clientId))).map((e) => e as unknown as ClientEvent);

  /** The refusal is the one expected and the ledger did not move. */
  async function refusedWithoutWrite(run: () => Promise<unknown>, is: (e: unknown) => boolean): Promise<void> {
    const head = await ports.store.headPosition();
    await assert.rejects(run, (e) => is(e) || assert.fail(String(e)));
    assert.equal(await ports.store.headPosition(), head, 'nothing was written');
  }

  it('registers with the defaults, a generated id and a generated secret kept only as its SHA-256', async () => {
    const { client, secret } = await registerClient(ports, { changes: {} }, ctx);
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
      ports,
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
    const { client, secret } = await registerClient(ports, { clientId: 'spa', changes: publicClient }, ctx);
    assert.equal(secret, null);
    assert.equal(client.secret, null);
    assert.equal(client.metadata.token_endpoint_auth_method, 'none');
  });

  it('refuses a chosen secret for a client that takes none, and a short one, writing nothing', async () => {
    await refusedWithoutWrite(
      () => registerClient(ports, { clientId: 'spa2', changes: publicClient, chosenSecret: 'x'.repeat(40) }, ctx),
      (e) =>
        e instanceof ClientCommandError &&
        e.code === 'invalid_client_metadata' &&
        e.message === 'none clients have no secret',
    );
    await refusedWithoutWrite(
      () => registerClient(ports, { clientId: 'short', changes: {}, chosenSecret: 'short' }, ctx),
      (e) => e instanceof ClientMetadataError && e.error === 'invalid_client_metadata',
    );
    assert.deepEqual(await streamOf('spa2'), []);
    assert.deepEqual(await streamOf('short'), []);
  });

  it('refuses a second registration of an id, writing nothing', async () => {
    await refusedWithoutWrite(
      () => registerClient(ports, { clientId: 'chosen', changes: {} }, ctx),
      (e) => e instanceof ClientCommandError && e.code === 'client_exists',
    );
  });

  it('updates the given fields, keeps every other one and the secret', async () => {
    const was = (await registerClient(ports, { clientId: 'upd', changes: { client_name: 'Before' } }, ctx)).client;
    const now = await updateClient(
      ports,
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
      () => updateClient(ports, 'nobody', { scope: 'a' }, ctx),
      (e) => e instanceof ClientCommandError && e.code === 'client_not_found' && e.error === 'invalid_client',
    );
    await refusedWithoutWrite(
      () => updateClient(ports, 'upd', { grant_types: ['authorization_code'] }, ctx),
      (e) => e instanceof ClientMetadataError && e.code === 'invalid_redirect_uri',
    );
  });
});

describe('registerClient and updateClient: the events written', () => {
  let ports: MemoryPorts;
  beforeEach(async () => {
    ports = await memoryPorts();
  });
  afterEach(() => ports.close());

  it('writes one ClientRegistered with the full metadata and the secret hash, then one ClientUpdated', async () => {
    const head = await ports.head();
    const { client } = await registerClient(ports, { clientId: 'c1', changes: { client_name: 'One' } }, ctx);
    await updateClient(ports, 'c1', { scope: 'read' }, ctx);
    assert.deepEqual(
      ports.writtenAfter(head).map((e) => [e.type, e.stream, e.data]),
      [
        ['ClientRegistered', clientStream('c1'), { clientId: 'c1', metadata: client.metadata, secret: client.secret }],
        [
          'ClientUpdated',
          clientStream('c1'),
          {
            clientId: 'c1',
            metadata: { ...client.metadata, scope: 'read' },
            changes: { scope: { before: client.metadata.scope, after: 'read' } },
          },
        ],
      ],
    );
  });

  it('refuses an access token lifetime above the server maximum: invalid_client_metadata, nothing written', async () => {
    await given.refusedWithoutWrite(
      ports,
      () => registerClient(ports, { clientId: 'long', changes: { access_token_ttl: 10 ** 6 } }, ctx),
      {
        class: ClientMetadataError,
        error: 'invalid_client_metadata',
        message: /above this server's MAX_TOKEN_LIFETIME/,
      },
    );
  });
});

describe('disableClient', () => {
  let ports: MemoryPorts;
  beforeEach(async () => {
    ports = await memoryPorts();
  });
  afterEach(() => ports.close());

  it("writes ClientDisabled, then revokes the client's tokens caused by it; the users' sessions stay", async () => {
    const svc = await given.givenClient(ports, 'svc');
    const sub = await given.givenUser(ports);
    const token = await issueAccessToken(
      ports,
      { client: svc, sub: 'svc', scope: '', aud: [ISSUER], grantType: 'client_credentials' },
      ctx,
    );
    await startSession(ports, sub, ['pwd'], ctx);
    const head = await ports.head();
    await disableClient(ports, 'svc', ctx);
    const written = ports.writtenAfter(head);
    assert.deepEqual(
      written.map((e) => [e.type, e.stream]),
      [
        ['ClientDisabled', clientStream('svc')],
        ['TokenRevoked', tokenStream(token.claims.jti)],
      ],
    );
    assert.deepEqual(written[0].data, { clientId: 'svc' });
    assert.equal(written[1].metadata.causationId, written[0].id);
    assert.equal((written[1].data as { reason: string }).reason, 'client disabled');
    assert.equal(clientById(ports.views, 'svc')?.disabled, true);
  });

  it('refuses an unknown client (client_not_found) and a disabled one (client_disabled): invalid_client, nothing written', async () => {
    await given.refusedWithoutWrite(ports, () => disableClient(ports, 'nobody', ctx), {
      class: ClientCommandError,
      code: 'client_not_found',
      error: 'invalid_client',
    });
    await given.givenClient(ports, 'svc');
    await disableClient(ports, 'svc', ctx);
    await given.refusedWithoutWrite(ports, () => disableClient(ports, 'svc', ctx), {
      class: ClientCommandError,
      code: 'client_disabled',
      error: 'invalid_client',
    });
    await given.refusedWithoutWrite(ports, () => updateClient(ports, 'svc', { scope: 'a' }, ctx), {
      class: ClientCommandError,
      code: 'client_disabled',
    });
  });
});
