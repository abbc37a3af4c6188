import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import { discover, insecure, registerClient, postForm, basic } from '../helpers/oauth.js';

describe('client credentials with real client libraries', () => {
  let server: TestServer;
  let as: oauth.AuthorizationServer;
  let rs: { clientId: string; secret: string | null };
  before(async () => {
    server = await startTestServer();
    as = await discover(server);
    rs = await registerClient(server, { client_id: 'resource-server', scope: '' });
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const introspect = async (token: string) => {
    const res = await oauth.introspectionRequest(
      as,
      { client_id: rs.clientId },
      oauth.ClientSecretBasic(rs.secret!),
      token,
      insecure,
    );
    return oauth.processIntrospectionResponse(as, { client_id: rs.clientId }, res);
  };

  it('advertises the endpoints and methods in discovery', async () => {
    assert.equal(as.token_endpoint, `${server.url}/token`);
    assert.equal(as.introspection_endpoint, `${server.url}/introspect`);
    assert.equal(as.revocation_endpoint, `${server.url}/revoke`);
    assert.deepEqual(as.grant_types_supported, [
      'authorization_code',
      'client_credentials',
      'refresh_token',
      'urn:ietf:params:oauth:grant-type:device_code',
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ]);
    assert.deepEqual(as.token_endpoint_auth_methods_supported, [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
      'none',
    ]);
    assert.deepEqual(as.introspection_endpoint_auth_methods_supported, [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
    ]);
    assert.ok(as.revocation_endpoint_auth_methods_supported?.includes('client_secret_basic'));
    await registerClient(server, { scope: 'inventory:read' });
    assert.ok(
      (await discover(server)).scopes_supported?.includes('inventory:read'),
      'scopes follow the registered clients',
    );
  });

  it('issues an RFC 9068 JWT (ES256) to client_secret_basic with reserved characters in id and secret, then introspects and revokes it', async () => {
    const { clientId, secret } = await registerClient(server, { client_id: 'svc:a.b~c' }, 'p@ss:w/rd+%&= é');
    const auth = oauth.ClientSecretBasic(secret!);
    const res = await oauth.clientCredentialsGrantRequest(
      as,
      { client_id: clientId },
      auth,
      new URLSearchParams({ scope: 'orders:read' }),
      insecure,
    );
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const tokens = await oauth.processClientCredentialsResponse(as, { client_id: clientId }, res);
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.scope, 'orders:read');
    assert.equal(tokens.expires_in, 3600);
    const header = decodeProtectedHeader(tokens.access_token);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'ES256');
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(as.jwks_uri!)), {
      issuer: server.url,
      typ: 'at+jwt',
    });
    assert.deepEqual(Object.keys(payload).sort(), [
      'aud',
      'client_id',
      'exp',
      'iat',
      'iss',
      'jti',
      'scope',
      'status',
      'sub',
    ]);
    assert.equal(payload.sub, clientId);
    assert.equal(payload.client_id, clientId);
    assert.equal(payload.aud, server.url);
    assert.equal(payload.exp! - payload.iat!, 3600);

    const active = await introspect(tokens.access_token);
    assert.equal(active.active, true);
    assert.equal(active.client_id, clientId);
    assert.equal(active.sub, clientId);
    assert.equal(active.scope, 'orders:read');
    assert.equal(active.jti, payload.jti);
    assert.equal(active.iss, server.url);
    assert.equal(active.token_type, 'Bearer');

    const revoked = await oauth.revocationRequest(as, { client_id: clientId }, auth, tokens.access_token, insecure);
    await oauth.processRevocationResponse(revoked);
    // The moment revocation answers, introspection says inactive, and says nothing more.
    const after = await postForm(server, '/introspect', { token: tokens.access_token }, basic(rs.clientId, rs.secret!));
    assert.deepEqual(after.body, { active: false });
  });

  it('grants all registered scopes when none is requested, and sets aud from RFC 8707 resource', async () => {
    const { clientId, secret } = await registerClient(server, {});
    const params = new URLSearchParams();
    params.append('resource', 'https://api.example/orders');
    params.append('resource', 'https://api.example/billing');
    const res = await oauth.clientCredentialsGrantRequest(
      as,
      { client_id: clientId },
      oauth.ClientSecretBasic(secret!),
      params,
      insecure,
    );
    const tokens = await oauth.processClientCredentialsResponse(as, { client_id: clientId }, res);
    assert.equal(tokens.scope, 'orders:read orders:write');
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(as.jwks_uri!)), {
      audience: 'https://api.example/billing',
    });
    assert.deepEqual(payload.aud, ['https://api.example/orders', 'https://api.example/billing']);
    assert.deepEqual((await introspect(tokens.access_token)).aud, [
      'https://api.example/orders',
      'https://api.example/billing',
    ]);
  });

  it('authenticates with client_secret_post and signs RS256 when the client asks for it', async () => {
    const { clientId, secret } = await registerClient(server, {
      token_endpoint_auth_method: 'client_secret_post',
      access_token_signing_alg: 'RS256',
    });
    const res = await oauth.clientCredentialsGrantRequest(
      as,
      { client_id: clientId },
      oauth.ClientSecretPost(secret!),
      new URLSearchParams(),
      insecure,
    );
    const tokens = await oauth.processClientCredentialsResponse(as, { client_id: clientId }, res);
    assert.equal(decodeProtectedHeader(tokens.access_token).alg, 'RS256');
    await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(as.jwks_uri!)), { algorithms: ['RS256'] });
  });

  it('authenticates with private_key_jwt (RFC 7523)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kty: 'EC', kid: 'k1', alg: 'ES256', use: 'sig' };
    const { clientId } = await registerClient(
      server,
      { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } },
      null,
    );
    const auth = oauth.PrivateKeyJwt({ key: privateKey, kid: 'k1' });
    const res = await oauth.clientCredentialsGrantRequest(
      as,
      { client_id: clientId },
      auth,
      new URLSearchParams({ scope: 'orders:write' }),
      insecure,
    );
    const tokens = await oauth.processClientCredentialsResponse(as, { client_id: clientId }, res);
    assert.equal(tokens.scope, 'orders:write');
    // The same key pair also authenticates the client at the revocation endpoint.
    const rev = await oauth.revocationRequest(as, { client_id: clientId }, auth, tokens.access_token, insecure);
    await oauth.processRevocationResponse(rev);
    assert.equal((await introspect(tokens.access_token)).active, false);
  });

  it('issues opaque tokens of 256 random bits to clients registered for them', async () => {
    const { clientId, secret } = await registerClient(server, { access_token_format: 'opaque' });
    const res = await oauth.clientCredentialsGrantRequest(
      as,
      { client_id: clientId },
      oauth.ClientSecretBasic(secret!),
      new URLSearchParams(),
      insecure,
    );
    const tokens = await oauth.processClientCredentialsResponse(as, { client_id: clientId }, res);
    assert.match(tokens.access_token, /^tlat_[A-Za-z0-9_-]{43}$/);
    assert.equal((await introspect(tokens.access_token)).active, true);
  });

  it('works unchanged with openid-client: discovery, client credentials, introspection, revocation', async () => {
    const { clientId, secret } = await registerClient(server, {});
    const config = await client.discovery(new URL(server.url), clientId, secret!, client.ClientSecretBasic(secret!), {
      execute: [client.allowInsecureRequests],
    });
    const tokens = await client.clientCredentialsGrant(config, { scope: 'orders:read' });
    assert.equal(tokens.scope, 'orders:read');
    const rsConfig = await client.discovery(
      new URL(server.url),
      rs.clientId,
      rs.secret!,
      client.ClientSecretBasic(rs.secret!),
      { execute: [client.allowInsecureRequests] },
    );
    assert.equal((await client.tokenIntrospection(rsConfig, tokens.access_token)).active, true);
    await client.tokenRevocation(config, tokens.access_token);
    assert.equal((await client.tokenIntrospection(rsConfig, tokens.access_token)).active, false);
  });

  it('answers introspection as a signed JWT when asked (RFC 9701)', async () => {
    const { clientId, secret } = await registerClient(server, {});
    const res = await oauth.clientCredentialsGrantRequest(
      as,
      { client_id: clientId },
      oauth.ClientSecretBasic(secret!),
      new URLSearchParams(),
      insecure,
    );
    const { access_token } = await oauth.processClientCredentialsResponse(as, { client_id: clientId }, res);
    const answer = await postForm(
      server,
      '/introspect',
      { token: access_token },
      { ...basic(rs.clientId, rs.secret!), accept: 'application/token-introspection+jwt' },
    );
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/token-introspection\+jwt/);
    const { payload, protectedHeader } = await jwtVerify(answer.text, createRemoteJWKSet(new URL(as.jwks_uri!)), {
      issuer: server.url,
      audience: rs.clientId,
      typ: 'token-introspection+jwt',
    });
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal((payload.token_introspection as { active: boolean; client_id: string }).active, true);
    assert.equal((payload.token_introspection as { client_id: string }).client_id, clientId);
  });

  it('sees a client registered by the CLI in another process within 1 s', async () => {
    const { runCli } = await import('../helpers/cli.js');
    const id = `cli-${randomUUID().slice(0, 8)}`;
    const ran = await runCli(
      [
        'clients',
        'create',
        '--client-id',
        id,
        '--grant-types',
        'client_credentials',
        '--scope',
        'orders:read orders:write',
        '--json',
      ],
      server.env,
    );
    assert.equal(ran.code, 0, ran.stderr);
    const info = JSON.parse(ran.stdout);
    assert.equal(info.client_id, id);
    assert.match(info.client_secret, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(info.grant_types, ['client_credentials']);
    assert.equal(info.token_endpoint_auth_method, 'client_secret_basic');
    const started = Date.now();
    let status = 0;
    while (Date.now() - started < 1000) {
      status = (await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(id, info.client_secret)))
        .status;
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 200, 'the server accepted the new client within 1 s');
  });
});
