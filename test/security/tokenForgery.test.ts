/**
 * The attack catalogue, tokens: forged JWTs presented as client assertions and as access tokens
 * (introspection, UserInfo, GraphQL), and a client assertion replayed across a server restart.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, randomUUID } from 'node:crypto';
import { SignJWT, UnsecuredJWT, base64url, decodeJwt, exportJWK, generateKeyPair, type JWK } from 'jose';
import { removeDir, tempDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';

const NO_THROTTLE = { THROTTLE_CLIENT_FAILURES: '1000000', THROTTLE_IP_FAILURES: '1000000' };
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import { expectOAuthError, startKeyHost, unchangedLedger } from './support.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const cc = { grant_type: 'client_credentials' };

type Attacker = Awaited<ReturnType<typeof generateKeyPair>>;

describe('attack catalogue: forged and replayed JWTs', () => {
  let server: TestServer;
  let pkj: string;
  let clientKey: Attacker;
  let clientJwk: JWK;
  let attacker: Attacker;
  let attackerJwk: JWK;
  let keyHost: Awaited<ReturnType<typeof startKeyHost>>;
  let rs: { clientId: string; secret: string | null };
  let operator: { clientId: string; secret: string | null };
  before(async () => {
    // Every forgery is a failed client authentication: the brute-force limits (tested on their own
    // in test/http/bruteForce.test.ts) are lifted so that each is judged on its signature alone.
    server = await startInjectServer({ env: NO_THROTTLE });
    clientKey = await generateKeyPair('ES256', { extractable: true });
    clientJwk = { ...(await exportJWK(clientKey.publicKey)), kid: 'k1', alg: 'ES256' };
    attacker = await generateKeyPair('ES256', { extractable: true });
    attackerJwk = { ...(await exportJWK(attacker.publicKey)), kid: 'k1', alg: 'ES256' };
    // Serves the attacker's key to anyone who follows a jku or x5u: nobody should.
    keyHost = await startKeyHost({ keys: [attackerJwk] });
    pkj = (
      await registerClient(
        server,
        { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [clientJwk as { kty: string }] } },
        null,
      )
    ).clientId;
    rs = await registerClient(server, { scope: '' });
    operator = await registerClient(server, { scope: 'ledger:audit openid' });
  });
  after(async () => {
    await keyHost.close();
    await server.close();
    removeDir(server.dataDir);
  });

  const claims = (extra: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return { jti: randomUUID(), iss: pkj, sub: pkj, aud: `${server.url}/token`, iat: now, exp: now + 60, ...extra };
  };
  const form = (assertion: string) => ({ ...cc, client_assertion_type: ASSERTION_TYPE, client_assertion: assertion });
  const pem = (jwk: JWK) =>
    createPublicKey({ key: jwk as never, format: 'jwk' })
      .export({ format: 'pem', type: 'spki' })
      .toString();
  const enc = (o: object) => base64url.encode(JSON.stringify(o));

  /** Forgeries of a JWT with these claims: each is a way to make a verifier trust a key it should not. */
  async function forgeries(
    payload: Record<string, unknown>,
    victimJwk: JWK,
    typ?: string,
  ): Promise<Array<[string, string]>> {
    const t = typ ? { typ } : {};
    const kid = victimJwk.kid!;
    return [
      ['alg none', new UnsecuredJWT(payload).encode()],
      ['alg none with the victim kid', `${enc({ alg: 'none', kid, ...t })}.${enc(payload)}.`],
      ['alg None (case)', `${enc({ alg: 'None', kid, ...t })}.${enc(payload)}.`],
      [
        'HS256 keyed with the public key PEM',
        await new SignJWT(payload)
          .setProtectedHeader({ alg: 'HS256', kid, ...t })
          .sign(new TextEncoder().encode(pem(victimJwk))),
      ],
      [
        'HS256 keyed with the public JWK JSON',
        await new SignJWT(payload)
          .setProtectedHeader({ alg: 'HS256', kid, ...t })
          .sign(new TextEncoder().encode(JSON.stringify(victimJwk))),
      ],
      [
        'kid path injection ../../etc/passwd',
        await new SignJWT(payload)
          .setProtectedHeader({ alg: 'ES256', kid: '../../etc/passwd', ...t })
          .sign(attacker.privateKey),
      ],
      [
        'kid ../../../../dev/null with HS256 and an empty key',
        await new SignJWT(payload)
          .setProtectedHeader({ alg: 'HS256', kid: '../../../../dev/null', ...t })
          .sign(new Uint8Array(32)),
      ],
      [
        'kid SQL injection',
        await new SignJWT(payload)
          .setProtectedHeader({ alg: 'ES256', kid: "x' UNION SELECT 'k1", ...t })
          .sign(attacker.privateKey),
      ],
      [
        'embedded jwk header with the attacker key',
        await new SignJWT(payload)
          .setProtectedHeader({
            alg: 'ES256',
            kid,
            jwk: { kty: attackerJwk.kty!, crv: attackerJwk.crv!, x: attackerJwk.x!, y: attackerJwk.y! },
            ...t,
          })
          .sign(attacker.privateKey),
      ],
      [
        'jku header pointing at the attacker JWKS',
        await new SignJWT(payload)
          .setProtectedHeader({ alg: 'ES256', kid, jku: `${keyHost.url}/jwks`, ...t })
          .sign(attacker.privateKey),
      ],
      [
        'x5u header pointing at the attacker',
        await new SignJWT(payload)
          .setProtectedHeader({ alg: 'ES256', kid, x5u: `${keyHost.url}/cert.pem`, ...t })
          .sign(attacker.privateKey),
      ],
      [
        'the victim kid, signed by the attacker',
        await new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid, ...t }).sign(attacker.privateKey),
      ],
    ];
  }

  describe('client assertions (private_key_jwt)', () => {
    it('CWE-347 improper signature verification: alg none, HS256 with the public key, kid injection (CWE-22), jwk/jku/x5u headers (CWE-918) → invalid_client, no fetch', async () => {
      for (const [label, forged] of await forgeries(claims(), clientJwk)) {
        const res = await expectOAuthError(server, '/token', form(forged), {}, 401, 'invalid_client');
        assert.equal(res.headers.get('www-authenticate'), null, label);
      }
      assert.equal(keyHost.hits(), 0, 'no jku or x5u was followed');
    });

    it('CWE-347: jku, x5u and jwk headers are ignored, not trusted — a genuine assertion carrying them still verifies against the registered key only', async () => {
      const headers = {
        alg: 'ES256',
        kid: 'k1',
        jku: `${keyHost.url}/jwks`,
        x5u: `${keyHost.url}/cert.pem`,
        jwk: { kty: attackerJwk.kty!, crv: attackerJwk.crv!, x: attackerJwk.x!, y: attackerJwk.y! },
      };
      const genuine = await new SignJWT(claims()).setProtectedHeader(headers).sign(clientKey.privateKey);
      const res = await postForm(server, '/token', form(genuine));
      assert.equal(res.status, 200, res.text);
      assert.equal(keyHost.hits(), 0);
    });
  });

  describe('access tokens at introspection, UserInfo and GraphQL', () => {
    let real: string;
    let serverJwk: JWK;
    before(async () => {
      real = (
        await postForm(
          server,
          '/token',
          { ...cc, scope: 'ledger:audit openid' },
          basic(operator.clientId, operator.secret!),
        )
      ).body.access_token;
      const kid = JSON.parse(new TextDecoder().decode(base64url.decode(real.split('.')[0]))).kid;
      serverJwk = (await (await server.fetch(`${server.url}/jwks`)).json()).keys.find((k: JWK) => k.kid === kid);
      assert.ok(serverJwk);
    });

    it('CWE-347 improper signature verification: forged access tokens (alg none, HS256 with our public key, kid injection, jwk/jku/x5u) are inactive everywhere, no fetch', async () => {
      // The real token's own claims, so only the signature and header are forged.
      const payload = decodeJwt(real) as Record<string, unknown>;
      const forged = await forgeries({ ...payload, jti: randomUUID() }, serverJwk, 'at+jwt');
      forged.push([
        'the real header and claims with the signature stripped',
        `${real.split('.').slice(0, 2).join('.')}.`,
      ]);
      forged.push([
        'the real token with widened scope',
        `${real.split('.')[0]}.${enc({ ...payload, scope: 'ledger:admin ledger:audit openid' })}.${real.split('.')[2]}`,
      ]);
      for (const [label, token] of forged) {
        await unchangedLedger(server, async () => {
          const introspection = await postForm(server, '/introspect', { token }, basic(rs.clientId, rs.secret!));
          assert.deepEqual([introspection.status, introspection.body], [200, { active: false }], label);
          const userinfo = await server.fetch(`${server.url}/userinfo`, {
            headers: { authorization: `Bearer ${token}` },
          });
          assert.equal(userinfo.status, 401, label);
          assert.match(userinfo.headers.get('www-authenticate') ?? '', /error="invalid_token"/, label);
          const graphql = await server.fetch(`${server.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: '{"query":"{ signingKeys { kid } }"}',
          });
          const answer = await graphql.json();
          assert.equal(answer.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', label);
          assert.equal(answer.data ?? null, null, label);
        });
      }
      assert.equal(keyHost.hits(), 0, 'no jku or x5u was followed');
      // Control: the genuine token is active at all three.
      assert.equal(
        (await postForm(server, '/introspect', { token: real }, basic(rs.clientId, rs.secret!))).body.active,
        true,
      );
    });
  });
});

describe('CWE-294 capture-replay: a private_key_jwt assertion replayed after a server restart', () => {
  it('CWE-294 capture-replay: the jti is remembered in the ledger, so a restart does not forget it → invalid_client', async () => {
    const dataDir = tempDir();
    // One issuer across both runs, so the assertion's audience stays valid; only the jti can refuse it.
    const issuer = 'http://127.0.0.1:1';
    const env = { ISSUER: issuer, ...NO_THROTTLE };
    let server = await startInjectServer({ dataDir, env });
    try {
      const key = await generateKeyPair('ES256');
      const jwk = { ...(await exportJWK(key.publicKey)), kty: 'EC', kid: 'k1' };
      const clientId = (
        await registerClient(server, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } }, null)
      ).clientId;
      const now = Math.floor(Date.now() / 1000);
      const assertion = await new SignJWT({
        jti: randomUUID(),
        iss: clientId,
        sub: clientId,
        aud: `${issuer}/token`,
        iat: now,
        exp: now + 300,
      })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .sign(key.privateKey);
      const body = { ...cc, client_assertion_type: ASSERTION_TYPE, client_assertion: assertion };
      assert.equal((await postForm(server, '/token', body)).status, 200);
      await expectOAuthError(server, '/token', body, {}, 401, 'invalid_client');
      await server.close();
      server = await startInjectServer({ dataDir, env });
      const res = await expectOAuthError(server, '/token', body, {}, 401, 'invalid_client');
      assert.match(res.body.error_description, /jti was already used/);
    } finally {
      await server.close();
      removeDir(dataDir);
    }
  });
});
