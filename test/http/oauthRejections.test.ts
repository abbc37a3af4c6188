import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID, createPublicKey } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, base64url } from 'jose';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';
import { basic, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { handleClientCommand } from '../../src/application/clients.js';

/** Every rejection: the exact RFC error, and not one event appended to the ledger. */
async function expectError(
  server: TestServer,
  path: string,
  form: Record<string, string | string[]> | string,
  headers: Record<string, string>,
  status: number,
  error: string,
  // any: callers either ignore the response (as a test body) or inspect its headers.
): Promise<any> {
  const before = await ledgerHead(server);
  const res = await postForm(server, path, form, headers);
  assert.equal(res.status, status, `status (${res.text})`);
  assert.equal(res.body?.error, error, res.text);
  assert.equal(typeof res.body.error_description, 'string');
  assert.deepEqual(Object.keys(res.body).sort(), ['error', 'error_description']);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(await ledgerHead(server), before, 'nothing written to the ledger');
  return res;
}

describe('rejections at the token, introspection and revocation endpoints', () => {
  let server: TestServer;
  let svc: { clientId: string; secret: string | null };
  let rs: { clientId: string; secret: string | null };
  let codeOnly: { clientId: string; secret: string | null };
  let publicClient: { clientId: string; secret: string | null };
  before(async () => {
    server = await startInjectServer();
    svc = await registerClient(server, { client_id: 'svc' });
    rs = await registerClient(server, { client_id: 'rs', scope: '' });
    codeOnly = await registerClient(server, {
      grant_types: ['authorization_code'],
      redirect_uris: ['https://app.example/cb'],
    });
    publicClient = await registerClient(
      server,
      {
        grant_types: ['authorization_code'],
        redirect_uris: ['https://app.example/cb'],
        token_endpoint_auth_method: 'none',
      },
      null,
    );
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const cc = { grant_type: 'client_credentials' };
  const svcAuth = () => basic(svc.clientId, svc.secret!);

  it('missing grant_type → invalid_request', () =>
    expectError(server, '/token', {}, svcAuth(), 400, 'invalid_request'));
  it('repeated parameter → invalid_request', () =>
    expectError(
      server,
      '/token',
      { grant_type: 'client_credentials', scope: ['orders:read', 'orders:write'] },
      svcAuth(),
      400,
      'invalid_request',
    ));
  it('repeated grant_type → invalid_request', () =>
    expectError(
      server,
      '/token',
      { grant_type: ['client_credentials', 'client_credentials'] },
      svcAuth(),
      400,
      'invalid_request',
    ));
  it('unknown grant type → unsupported_grant_type', () =>
    expectError(
      server,
      '/token',
      { grant_type: 'password', username: 'a', password: 'b' },
      svcAuth(),
      400,
      'unsupported_grant_type',
    ));
  it('grant not registered for the client → unauthorized_client', () =>
    expectError(server, '/token', cc, basic(codeOnly.clientId, codeOnly.secret!), 400, 'unauthorized_client'));
  it('public client asking for client_credentials → unauthorized_client', () =>
    expectError(server, '/token', { ...cc, client_id: publicClient.clientId }, {}, 400, 'unauthorized_client'));
  it('scope beyond the registered scope → invalid_scope', () =>
    expectError(server, '/token', { ...cc, scope: 'orders:read admin' }, svcAuth(), 400, 'invalid_scope'));
  it('resource that is not an absolute URI → invalid_target', () =>
    expectError(server, '/token', { ...cc, resource: 'api/orders' }, svcAuth(), 400, 'invalid_target'));
  it('resource with a fragment → invalid_target', () =>
    expectError(server, '/token', { ...cc, resource: 'https://api.example/#x' }, svcAuth(), 400, 'invalid_target'));

  it('wrong secret over Basic → 401 invalid_client with a Basic challenge', async () => {
    const res = await expectError(server, '/token', cc, basic(svc.clientId, 'wrong'), 401, 'invalid_client');
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm=/);
  });
  it('wrong secret in the body → 401 invalid_client without a challenge', async () => {
    const post = await registerClient(server, { token_endpoint_auth_method: 'client_secret_post' });
    const res = await expectError(
      server,
      '/token',
      { ...cc, client_id: post.clientId, client_secret: 'wrong' },
      {},
      401,
      'invalid_client',
    );
    assert.equal(res.headers.get('www-authenticate'), null);
  });
  it('unknown client → invalid_client', () =>
    expectError(server, '/token', cc, basic('nobody', 'x'), 401, 'invalid_client'));
  it('no client authentication at all → invalid_client', () =>
    expectError(server, '/token', cc, {}, 401, 'invalid_client'));
  it('malformed Basic header → invalid_client', () =>
    expectError(server, '/token', cc, { authorization: 'Basic !!!not-base64' }, 401, 'invalid_client'));
  it('method other than the registered one → invalid_client', () =>
    expectError(
      server,
      '/token',
      { ...cc, client_id: svc.clientId, client_secret: svc.secret! },
      {},
      401,
      'invalid_client',
    ));
  it('two authentication methods in one request → invalid_request', () =>
    expectError(server, '/token', { ...cc, client_secret: svc.secret! }, svcAuth(), 400, 'invalid_request'));
  it('client_id in the body disagreeing with Basic → invalid_request', () =>
    expectError(server, '/token', { ...cc, client_id: 'someone-else' }, svcAuth(), 400, 'invalid_request'));
  it('a JSON body → invalid_request', async () => {
    const before = await ledgerHead(server);
    const res = await server.fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...svcAuth() },
      body: '{"grant_type":"client_credentials"}',
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, 'invalid_request');
    assert.equal(await ledgerHead(server), before);
  });
  it('an oversized body → 413 invalid_request, not a 500', async () => {
    await expectError(
      server,
      '/token',
      `grant_type=client_credentials&scope=${'a'.repeat(100_000)}`,
      svcAuth(),
      413,
      'invalid_request',
    );
  });
  it('an unsupported content type → invalid_request', async () => {
    const res = await server.fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', ...svcAuth() },
      body: 'grant_type=client_credentials',
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, 'invalid_request');
  });

  it('a disabled client → invalid_client, and its tokens stop introspecting as active', async () => {
    const c = await registerClient(server, {});
    const issued = await postForm(server, '/token', cc, basic(c.clientId, c.secret!));
    assert.equal(issued.status, 200);
    await handleClientCommand(
      server.runtime.ports,
      { type: 'DisableClient', clientId: c.clientId },
      { actor: 'operator:test', correlationId: randomUUID() },
    );
    await expectError(server, '/token', cc, basic(c.clientId, c.secret!), 401, 'invalid_client');
    const answer = await postForm(
      server,
      '/introspect',
      { token: issued.body.access_token },
      basic(rs.clientId, rs.secret!),
    );
    assert.deepEqual(answer.body, { active: false });
  });

  describe('private_key_jwt', () => {
    let pkj: string;
    let privateKey: CryptoKey;
    let publicJwk: object;
    before(async () => {
      const pair = await generateKeyPair('ES256');
      privateKey = pair.privateKey;
      const jwk = { ...(await exportJWK(pair.publicKey)), kty: 'EC', kid: 'k1' };
      publicJwk = jwk;
      pkj = (
        await registerClient(server, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } }, null)
      ).clientId;
    });
    const assertion = (claims: Record<string, unknown> = {}) => {
      const now = Math.floor(Date.now() / 1000);
      const defaults = { jti: randomUUID(), iss: pkj, sub: pkj, aud: `${server.url}/token`, iat: now, exp: now + 60 };
      return new SignJWT({ ...defaults, ...claims }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey);
    };
    const form = (a: string) => ({
      ...cc,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: a,
    });

    it('a replayed assertion → invalid_client (the first use is remembered in the ledger)', async () => {
      const a = await assertion();
      assert.equal((await postForm(server, '/token', form(a))).status, 200);
      await expectError(server, '/token', form(a), {}, 401, 'invalid_client');
    });
    it('alg none → invalid_client', async () => {
      const unsigned = new UnsecuredJWT({ jti: randomUUID() })
        .setIssuer(pkj)
        .setSubject(pkj)
        .setAudience(`${server.url}/token`)
        .setExpirationTime('60s')
        .encode();
      await expectError(server, '/token', form(unsigned), {}, 401, 'invalid_client');
    });
    it('HS256 signed with the public key as the secret → invalid_client', async () => {
      const pem = createPublicKey({ key: publicJwk as never, format: 'jwk' })
        .export({ format: 'pem', type: 'spki' })
        .toString();
      const secret = new TextEncoder().encode(pem);
      const forged = await new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .setIssuer(pkj)
        .setSubject(pkj)
        .setAudience(`${server.url}/token`)
        .setExpirationTime('60s')
        .sign(secret);
      await expectError(server, '/token', form(forged), {}, 401, 'invalid_client');
    });
    it('wrong audience → invalid_client', async () =>
      expectError(
        server,
        '/token',
        form(await assertion({ aud: 'https://elsewhere.example' })),
        {},
        401,
        'invalid_client',
      ));
    it('expired → invalid_client', async () =>
      expectError(
        server,
        '/token',
        form(await assertion({ exp: Math.floor(Date.now() / 1000) - 60 })),
        {},
        401,
        'invalid_client',
      ));
    it('no jti → invalid_client', async () =>
      expectError(server, '/token', form(await assertion({ jti: undefined })), {}, 401, 'invalid_client'));
    it('wrong assertion type → invalid_request', async () =>
      expectError(
        server,
        '/token',
        { ...form(await assertion()), client_assertion_type: 'urn:x' },
        {},
        400,
        'invalid_request',
      ));
  });

  describe('introspection', () => {
    let token: string;
    before(async () => {
      token = (await postForm(server, '/token', cc, svcAuth())).body.access_token;
    });
    const rsAuth = () => basic(rs.clientId, rs.secret!);
    const inactive = async (t: string) => {
      const before = await ledgerHead(server);
      const res = await postForm(server, '/introspect', { token: t }, rsAuth());
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { active: false }, `for ${t.slice(0, 40)}…`);
      assert.equal(await ledgerHead(server), before);
    };

    it('without client authentication → 401 invalid_client', () =>
      expectError(server, '/introspect', { token }, {}, 401, 'invalid_client'));
    it('by a public client → 401 invalid_client', () =>
      expectError(server, '/introspect', { token, client_id: publicClient.clientId }, {}, 401, 'invalid_client'));
    it('without a token → invalid_request', () =>
      expectError(server, '/introspect', {}, rsAuth(), 400, 'invalid_request'));
    it('repeated token → invalid_request', () =>
      expectError(server, '/introspect', { token: [token, token] }, rsAuth(), 400, 'invalid_request'));

    it('is {"active":false} and nothing more for unknown, malformed and forged tokens', async () => {
      const [h, p] = token.split('.');
      const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p)));
      const enc = (o: object) => base64url.encode(JSON.stringify(o));
      await inactive('no-such-token');
      await inactive('a.b.c');
      await inactive(`${token}x`);
      await inactive(`${enc({ alg: 'none', typ: 'at+jwt' })}.${p}.`);
      await inactive(`${h}.${enc({ ...claims, scope: 'orders:read orders:write admin' })}.${token.split('.')[2]}`);
      // HS256 "signed" with our public JWK as the HMAC secret (algorithm confusion).
      const jwks = await (await server.fetch(`${server.url}/jwks`)).json();
      const hs = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: jwks.keys[0].kid })
        .sign(new TextEncoder().encode(JSON.stringify(jwks.keys[0])));
      await inactive(hs);
      // Correctly shaped and signed, but by a key that is not ours / for another issuer.
      const other = await generateKeyPair('ES256');
      await inactive(
        await new SignJWT(claims)
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'unknown-kid' })
          .sign(other.privateKey),
      );
      await inactive(
        await new SignJWT({ ...claims, iss: 'https://evil.example' })
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
          .sign(other.privateKey),
      );
    });

    it('is {"active":false} for an expired token', async () => {
      const short = await registerClient(server, { access_token_ttl: 1 });
      const t = (await postForm(server, '/token', cc, basic(short.clientId, short.secret!))).body.access_token;
      await new Promise((r) => setTimeout(r, 1100));
      await inactive(t);
    });
  });

  describe('revocation', () => {
    it('without client authentication → 401 invalid_client', () =>
      expectError(server, '/revoke', { token: 'x' }, {}, 401, 'invalid_client'));
    it('without a token → invalid_request', () =>
      expectError(server, '/revoke', {}, svcAuth(), 400, 'invalid_request'));

    it('answers 200 for an unknown token and writes nothing', async () => {
      const before = await ledgerHead(server);
      const res = await postForm(
        server,
        '/revoke',
        { token: 'never-issued', token_type_hint: 'refresh_token' },
        svcAuth(),
      );
      assert.equal(res.status, 200);
      assert.equal(await ledgerHead(server), before);
    });

    it("another client's token → 400 invalid_request (RFC 7009 §2.1), nothing written, the token still active", async () => {
      const other = await registerClient(server, {});
      const t = (await postForm(server, '/token', cc, basic(other.clientId, other.secret!))).body.access_token;
      await expectError(server, '/revoke', { token: t }, svcAuth(), 400, 'invalid_request');
      await expectError(
        server,
        '/revoke',
        { token: t, token_type_hint: 'refresh_token' },
        svcAuth(),
        400,
        'invalid_request',
      );
      assert.equal(
        (await postForm(server, '/introspect', { token: t }, basic(rs.clientId, rs.secret!))).body.active,
        true,
      );
    });

    it('revoking twice writes one TokenRevoked', async () => {
      const t = (await postForm(server, '/token', cc, svcAuth())).body.access_token;
      assert.equal((await postForm(server, '/revoke', { token: t }, svcAuth())).status, 200);
      const before = await ledgerHead(server);
      assert.equal((await postForm(server, '/revoke', { token: t }, svcAuth())).status, 200);
      assert.equal(await ledgerHead(server), before);
    });
  });
});
