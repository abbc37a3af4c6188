import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { handleClientCommand } from '../../../src/application/clients.js';
import { issueAccessToken } from '../../../src/application/issueAccessToken.js';
import { mintInitialAccessToken } from '../../../src/application/initialAccessTokens.js';
import { revokeInitialAccessToken } from '../../../src/application/revokeInitialAccessToken.js';
import { pruneDynamicClients, pruneIntervalMs } from '../../../src/application/pruneDynamicClients.js';
import { clientLastUsedAt } from '../../../src/application/queries/clientActivity.js';
import { clientById } from '../../../src/application/queries/clients.js';
import {
  allInitialAccessTokens,
  initialAccessTokenById,
} from '../../../src/application/queries/initialAccessTokens.js';
import {
  clearRegistrationPolicy,
  effectiveRegistrationPolicy,
  serverRegistrationPolicy,
  setRegistrationPolicy,
} from '../../../src/application/registrationPolicy.js';
import type { ClientRegistration } from '../../../src/domain/clients/events.js';
import { clientMetadata } from '../../../src/domain/clients/metadataDefaults.js';
import { clientStream } from '../../../src/domain/clients/streams.js';
import { InitialAccessTokenRefused } from '../../../src/domain/initialAccessTokens/decide.js';
import { RegistrationPolicyRefused } from '../../../src/domain/registration/decide.js';
import { REGISTRATION_POLICY_STREAM } from '../../../src/domain/registration/events.js';
import { ISSUER, memoryPorts, type MemoryPorts } from '../../helpers/memoryPorts.js';
import { viewsFrom } from '../../helpers/views.js';
import { ctx, givenClient, refusedWithoutWrite, typed } from './fixtures.js';

const DAY = 86_400_000;

async function selfRegistered(ports: MemoryPorts, clientId: string, registration: ClientRegistration) {
  const metadata = clientMetadata({
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    redirect_uris: ['http://127.0.0.1:8000/cb'],
  });
  await handleClientCommand(ports, { type: 'RegisterClient', clientId, metadata, secret: null, registration }, ctx);
}

describe('the registration policy in force', () => {
  let ports: MemoryPorts;
  before(async () => {
    ports = await memoryPorts();
  });
  after(() => ports.close());

  it('none, then the file, then one set through GraphQL replacing it whole, then the file again once cleared', async () => {
    assert.deepEqual(await serverRegistrationPolicy(ports), {});
    assert.equal(effectiveRegistrationPolicy(ports).source, 'none');
    const file = { grantTypes: ['authorization_code' as const], scope: 'openid' };
    ports.config = { ...ports.config, registration: { ...ports.config.registration, filePolicy: file } };
    assert.deepEqual(await serverRegistrationPolicy(ports), file);
    assert.equal(effectiveRegistrationPolicy(ports).source, 'file');

    const set = await setRegistrationPolicy(
      ports,
      { redirectUriPrefixes: ['http://127.0.0.1:'] },
      { ...ctx, reason: 'loopback only for now' },
    );
    assert.equal(set.source, 'ledger');
    assert.deepEqual(set.policy, { redirectUriPrefixes: ['http://127.0.0.1:'] }, 'no merging with the file');
    assert.equal(set.setBy, ctx.actor);
    assert.equal(set.reason, 'loopback only for now');
    assert.equal(set.setAt, ports.now);
    assert.deepEqual(await serverRegistrationPolicy(ports), set.policy);

    const { views: _views, ...withoutViews } = ports;
    assert.deepEqual(
      await serverRegistrationPolicy(withoutViews),
      set.policy,
      'a caller without views reads the stream',
    );

    const cleared = await clearRegistrationPolicy(ports, { ...ctx, reason: 'back to the file' });
    assert.deepEqual(cleared, { source: 'file', policy: file });
    assert.deepEqual(await serverRegistrationPolicy(withoutViews), file);
    const stream = await ports.store.readStream(REGISTRATION_POLICY_STREAM);
    assert.deepEqual(typed(stream), ['RegistrationPolicySet', 'RegistrationPolicyCleared']);
    assert.equal(stream[1].metadata.reason, 'back to the file');
  });

  it('a policy the rules refuse is not written', async () => {
    await refusedWithoutWrite(
      ports,
      () => setRegistrationPolicy(ports, { redirectUriPrefixes: ['https://app.example'] }, ctx),
      { class: RegistrationPolicyRefused, code: 'invalid_policy', error: 'invalid_request' },
    );
  });
});

describe('initial access tokens: the view and revocation', () => {
  let ports: MemoryPorts;
  before(async () => {
    ports = await memoryPorts();
  });
  after(() => ports.close());

  it('lists a minted token at once by its hash, with its limits and policy; revocation shows, twice is a no-op', async () => {
    const minted = await mintInitialAccessToken(ports, { expiresIn: 600, uses: 2, policy: { scope: 'read' } }, ctx);
    const record = initialAccessTokenById(ports.views, minted.id);
    assert.deepEqual(record, {
      id: minted.id,
      createdAt: ports.now,
      createdBy: ctx.actor,
      expiresAt: ports.now + 600_000,
      uses: 2,
      usedCount: 0,
      policy: { scope: 'read' },
    });
    assert.ok(!JSON.stringify([...allInitialAccessTokens(ports.views)]).includes(minted.token));
    await ports.given(`iat-${minted.id}`, [
      { type: 'InitialAccessTokenUsed', data: { tokenHash: minted.id, clientId: 'c1' } },
    ]);
    assert.equal(initialAccessTokenById(ports.views, minted.id)?.usedCount, 1);
    await revokeInitialAccessToken(ports, minted.id, ctx);
    assert.equal(initialAccessTokenById(ports.views, minted.id)?.revokedAt, ports.now);
    const head = await ports.head();
    await revokeInitialAccessToken(ports, minted.id, ctx);
    assert.equal(await ports.head(), head);
  });

  it('revoking an unknown token is refused, nothing written', async () => {
    await refusedWithoutWrite(ports, () => revokeInitialAccessToken(ports, 'u'.repeat(43), ctx), {
      class: InitialAccessTokenRefused,
      code: 'unknown',
    });
  });
});

describe('pruning idle self-registered clients', () => {
  let ports: MemoryPorts;
  before(async () => {
    ports = await memoryPorts();
  });
  after(() => ports.close());

  it('deletes those unused for the idle time; keeps used, young, operator and metadata-document clients', async () => {
    await givenClient(ports, 'operator-app');
    await selfRegistered(ports, 'idle', { via: 'dynamic', access: 'open' });
    await selfRegistered(ports, 'busy', { via: 'dynamic', access: 'initial_access_token', initialAccessTokenId: 'x' });
    await selfRegistered(ports, 'doc-client', {
      via: 'metadata_document',
      url: 'https://app.example/client.json',
      sha256: 'h'.repeat(43),
    });
    ports.now += 20 * DAY;
    const busy = clientById(ports.views, 'busy')!;
    await issueAccessToken(
      ports,
      { client: busy, sub: 'alice', scope: '', aud: [ISSUER], grantType: 'authorization_code' },
      ctx,
    );
    assert.equal(clientLastUsedAt(ports.views, 'busy'), ports.now);
    await selfRegistered(ports, 'young', { via: 'dynamic', access: 'open' });
    ports.now += 15 * DAY;

    const head = await ports.head();
    const dry = await pruneDynamicClients(ports, { idleSeconds: 30 * 86_400, dryRun: true }, ctx);
    assert.deepEqual(
      dry.pruned.map((c) => c.clientId),
      ['idle'],
    );
    assert.equal(await ports.head(), head, 'a dry run writes nothing');

    const done = await pruneDynamicClients(ports, { idleSeconds: 30 * 86_400 }, ctx);
    assert.deepEqual(
      done.pruned.map((c) => c.clientId),
      ['idle'],
    );
    assert.equal(clientById(ports.views, 'idle')?.deleted, true);
    // A metadata document's URL stays taken once deleted: pruning would lock its client out for good.
    for (const id of ['operator-app', 'busy', 'young', 'doc-client'])
      assert.notEqual(clientById(ports.views, id)?.deleted, true, id);
    const deleted = (await ports.store.readStream(clientStream('idle'))).at(-1)!;
    assert.equal(deleted.type, 'ClientDeleted');
    assert.deepEqual(deleted.data, { clientId: 'idle', reason: 'unused for 30 days' });
    assert.equal(deleted.metadata.reason, 'unused for 30 days');

    const again = await pruneDynamicClients(ports, { idleSeconds: 30 * 86_400 }, ctx);
    assert.deepEqual(again, { pruned: [], alreadyGone: [] });
  });

  it('a second process pruning the same client finds it deleted: refused by the decider, counted as done', async () => {
    await selfRegistered(ports, 'raced', { via: 'dynamic', access: 'open' });
    ports.now += 40 * DAY;
    // The other process's views, from before this one's delete reached them.
    const stale = viewsFrom(ports.store.all());
    const first = await pruneDynamicClients(ports, { idleSeconds: 86_400 }, ctx);
    const ids = first.pruned.map((c) => c.clientId);
    assert.ok(ids.includes('raced'));
    const head = await ports.head();
    const second = await pruneDynamicClients({ ...ports, views: stale }, { idleSeconds: 86_400 }, ctx);
    assert.deepEqual(second, { pruned: [], alreadyGone: ids });
    assert.equal(await ports.head(), head, 'no second delete');
  });

  it('the server looks every tenth of the idle time, between 10 seconds and an hour', () => {
    assert.equal(pruneIntervalMs(1), 10_000);
    assert.equal(pruneIntervalMs(3600), 360_000);
    assert.equal(pruneIntervalMs(30 * 86_400), 3_600_000);
  });
});
