import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rotateClientSecret } from '../../src/application/rotateClientSecret.js';
import { eventsSince } from '../helpers/fuzz.js';
import { startInjectServer, type InjectServer } from '../helpers/injectServer.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';

const operator = { actor: 'operator:test', correlationId: 'rotation-test' };

/** A rotation's overlap, decided by the clock the rotation was made at (the ports' clock, an input here). */
describe('client secret rotation with an overlap', () => {
  let server: InjectServer;
  let clock = Date.now();
  before(async () => {
    server = await startInjectServer({ clock: () => clock });
  });
  after(() => server.close());

  const token = (clientId: string, secret: string) =>
    postForm(server, '/token', { grant_type: 'client_credentials' }, basic(clientId, secret));

  it('the replaced secret authenticates until the overlap ends, then invalid_client and nothing written', async () => {
    const { clientId, secret: first } = await registerClient(server, {});
    // Rotated two minutes ago with a minute's grace: the overlap is over.
    clock = Date.now() - 120_000;
    const { secret: second } = await rotateClientSecret(server.runtime.ports, clientId, { graceSeconds: 60 }, operator);
    clock = Date.now();
    const head = await server.runtime.store.headPosition();
    const refused = await token(clientId, first!);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'invalid_client');
    assert.deepEqual(await eventsSince(server, head), []);
    assert.equal((await token(clientId, second)).status, 200);

    // Rotated now with an hour's grace: both secrets work, the replaced one on every endpoint that authenticates.
    const { secret: third, client } = await rotateClientSecret(
      server.runtime.ports,
      clientId,
      { graceSeconds: 3600 },
      operator,
    );
    assert.equal(client.previousSecret?.expiresAt, clock + 3_600_000);
    assert.equal((await token(clientId, third)).status, 200);
    const before = await server.runtime.store.headPosition();
    for (let i = 0; i < 3; i++) assert.equal((await token(clientId, second)).status, 200);
    const introspected = await postForm(server, '/introspect', { token: 'x' }, basic(clientId, second));
    assert.equal(introspected.status, 200);
    // The first secret is two rotations old: gone.
    assert.equal((await token(clientId, first!)).status, 401);
    let used: string[] = [];
    for (let i = 0; i < 50 && !used.includes('ClientPreviousSecretUsed'); i++) {
      await new Promise((r) => setTimeout(r, 10));
      used = (await eventsSince(server, before)).filter((t) => t.startsWith('Client'));
    }
    // One record for four uses: who still uses the old secret, at most once a client an hour.
    assert.deepEqual(used, ['ClientPreviousSecretUsed']);
  });

  it('refuses a negative grace and a client without a secret, writing nothing', async () => {
    const { clientId } = await registerClient(server, {});
    const pub = await registerClient(
      server,
      {
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        redirect_uris: ['https://a.example/cb'],
      },
      null,
    );
    const head = await server.runtime.store.headPosition();
    await assert.rejects(
      rotateClientSecret(server.runtime.ports, clientId, { graceSeconds: -1 }, operator),
      (e: { code?: string }) => e.code === 'invalid_client_metadata',
    );
    await assert.rejects(
      rotateClientSecret(server.runtime.ports, pub.clientId, {}, operator),
      (e: { code?: string }) => e.code === 'invalid_client_metadata',
    );
    assert.deepEqual(await eventsSince(server, head), []);
  });
});
