import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { registerClient } from '../helpers/oauth.js';
import { startInjectServer, type InjectServer } from '../helpers/injectServer.js';
import { removeDir, tempDir } from '../helpers/server.js';
import { eventsSince } from '../helpers/fuzz.js';

const ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** A client assertion (RFC 7523) with every claim right unless `claims`/`alg` say otherwise. */
async function assertion(key: CryptoKey, clientId: string, aud: string | string[], alg = 'ES256') {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg, kid: 'k1' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(aud)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(key);
}

async function revoke(server: InjectServer, body: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await server.fetch(`${server.url}/revoke`, {
    method: 'POST',
    headers,
    body: new URLSearchParams({ token: 'not-a-token', ...body }),
  });
  return { status: res.status, body: res.status === 200 ? {} : ((await res.json()) as Record<string, string>) };
}

/** FAPI 2.0 Security Profile §5.3.2.1: private_key_jwt only, the profile's algorithms, aud the issuer as a string. */
describe('FAPI 2.0 client authentication', () => {
  const dataDir = tempDir();
  let server: InjectServer;
  let es256: CryptoKey;
  let rs256: CryptoKey;
  let legacy: { clientId: string; secret: string | null };
  const fapiClients: Record<string, string> = {};

  before(async () => {
    // A client registered before the server ran the profile: its method stays on record, and is refused.
    const plain = await startInjectServer({ dataDir });
    legacy = await registerClient(plain, {});
    await plain.close();
    server = await startInjectServer({ dataDir, env: { PROFILE: 'fapi2' } });
    const ec = await generateKeyPair('ES256');
    const rsa = await generateKeyPair('RS256');
    es256 = ec.privateKey;
    rs256 = rsa.privateKey;
    for (const [name, pub, alg] of [
      ['ec', ec.publicKey, 'ES256'],
      ['rsa', rsa.publicKey, 'RS256'],
    ] as const) {
      const jwk = { ...(await exportJWK(pub)), kty: name === 'ec' ? 'EC' : 'RSA', kid: 'k1', alg, use: 'sig' };
      const { clientId } = await registerClient(
        server,
        { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } },
        null,
      );
      fapiClients[name] = clientId;
    }
  });
  after(async () => {
    await server?.close();
    removeDir(dataDir);
  });

  it('accepts an ES256 assertion whose aud is the issuer identifier', async () => {
    const clientId = fapiClients.ec;
    const res = await revoke(server, {
      client_id: clientId,
      client_assertion_type: ASSERTION,
      client_assertion: await assertion(es256, clientId, server.url),
    });
    assert.equal(res.status, 200);
  });

  for (const [name, aud] of [
    ['the endpoint URL', (url: string) => `${url}/revoke`],
    ['an array holding the issuer', (url: string) => [url]],
  ] as const) {
    it(`refuses an assertion whose aud is ${name} (invalid_client), writing nothing but the spent jti`, async () => {
      const clientId = fapiClients.ec;
      const head = await server.runtime.store.headPosition();
      const res = await revoke(server, {
        client_id: clientId,
        client_assertion_type: ASSERTION,
        client_assertion: await assertion(es256, clientId, aud(server.url)),
      });
      assert.equal(res.status, 401);
      assert.equal(res.body.error, 'invalid_client');
      assert.match(res.body.error_description, /aud must be the issuer identifier/);
      assert.deepEqual(await eventsSince(server, head), []);
    });
  }

  it('refuses an RS256 assertion, an algorithm outside the profile (invalid_client)', async () => {
    const clientId = fapiClients.rsa;
    const head = await server.runtime.store.headPosition();
    const res = await revoke(server, {
      client_id: clientId,
      client_assertion_type: ASSERTION,
      client_assertion: await assertion(rs256, clientId, server.url, 'RS256'),
    });
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_client');
    assert.deepEqual(await eventsSince(server, head), []);
  });

  it('refuses a client secret, telling only its holder why (invalid_client)', async () => {
    const basic = (secret: string) =>
      `Basic ${Buffer.from(`${legacy.clientId}:${encodeURIComponent(secret)}`).toString('base64')}`;
    const head = await server.runtime.store.headPosition();
    const right = await revoke(server, {}, { authorization: basic(legacy.secret!) });
    assert.equal(right.status, 401);
    assert.equal(right.body.error, 'invalid_client');
    assert.match(right.body.error_description, /FAPI 2.0 Security Profile allows private_key_jwt/);
    const wrong = await revoke(server, {}, { authorization: basic('not-the-secret-at-all') });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error_description, 'client authentication failed');
    assert.deepEqual(await eventsSince(server, head), []);
  });

  it('refuses registrations outside the profile', async () => {
    await assert.rejects(registerClient(server, {}), /FAPI 2.0 Security Profile: token_endpoint_auth_method/);
  });
});
