import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ensureSigningKeys, readKeyring, rotateSigningKey } from '../../../src/application/keyring.js';
import { KeyStore } from '../../../src/crypto/keyStore.js';
import { KeyringError } from '../../../src/domain/keyring/decide.js';
import { KEYRING_STREAM } from '../../../src/domain/keyring/streams.js';
import { keysProjection } from '../../../projections/keys.js';
import { memoryPorts, T0, type MemoryPorts } from '../../helpers/memoryPorts.js';
import { ctx, refusedWithoutWrite, typed } from './fixtures.js';

const iso = (ms: number) => new Date(ms).toISOString();

// One ledger for the file: making a key costs an RSA key pair and a scrypt, so each is made once.
describe('ensureSigningKeys and rotateSigningKey', () => {
  let ports: MemoryPorts;
  before(async () => {
    ports = await memoryPorts();
  });
  after(() => ports.close());

  it('on a new ledger, generates one RS256 and one ES256 key, active now, private parts encrypted', async () => {
    const events = await ensureSigningKeys(ports);
    const written = ports.writtenAfter(0n);
    assert.deepEqual(typed(written), ['SigningKeyGenerated', 'SigningKeyGenerated']);
    assert.ok(written.every((e) => e.stream === KEYRING_STREAM && e.metadata.actor === 'system'));
    assert.deepEqual(
      written.map((e) => e.data),
      events.map((e) => e.data),
    );
    const data = written.map((e) => e.data as { alg: string; activatesAt: string; encryptedPrivateKey: object });
    assert.deepEqual(
      data.map((d) => [d.alg, d.activatesAt]),
      [
        ['RS256', iso(T0)],
        ['ES256', iso(T0)],
      ],
    );
    assert.ok(!JSON.stringify(data).includes('"d":'), 'no private key component in clear');
    // The keys the server signs with, read back through the keys view and decrypted with the secret.
    const keys = new KeyStore(() => ports.views(keysProjection), ports.keyEncryptionSecret);
    assert.equal((await keys.signingKey('ES256', T0))?.kid, (written[1].data as { kid: string }).kid);
  });

  it('is idempotent: with keys in place, a second start (or another instance) writes nothing', async () => {
    const head = await ports.head();
    assert.deepEqual(await ensureSigningKeys(ports), []);
    assert.equal(await ports.head(), head);
  });

  it('rotates: the new key activates when asked, the old one retires then, published a token lifetime longer', async () => {
    const before = await readKeyring(ports);
    const old = [...before.keys.values()].find((k) => k.alg === 'ES256')!;
    const activatesAt = T0 + 3_600_000;
    const head = await ports.head();
    const events = await rotateSigningKey(ports, 'ES256', activatesAt, ctx);
    const written = ports.writtenAfter(head);
    assert.deepEqual(typed(written), ['SigningKeyGenerated', 'SigningKeyRetired']);
    assert.deepEqual(
      written.map((e) => e.data),
      events.map((e) => e.data),
    );
    const fresh = written[0].data as { kid: string; alg: string; activatesAt: string };
    assert.deepEqual([fresh.alg, fresh.activatesAt], ['ES256', iso(activatesAt)]);
    assert.notEqual(fresh.kid, old.kid);
    assert.deepEqual(written[1].data, {
      kid: old.kid,
      retiredAt: iso(activatesAt),
      publishUntil: iso(activatesAt + ports.config.maxTokenLifetimeSeconds * 1000),
    });
    assert.equal(written[1].metadata.actor, ctx.actor);
  });

  it('refuses a rotation that activates in the past: invalid_request, nothing written', async () => {
    await refusedWithoutWrite(ports, () => rotateSigningKey(ports, 'RS256', T0 - 1, ctx), {
      class: KeyringError,
      error: 'invalid_request',
      message: /cannot activate in the past/,
    });
  });
});
