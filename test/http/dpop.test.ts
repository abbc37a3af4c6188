import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import { basic, discover, insecure, postForm, registerClient } from '../helpers/oauth.js';
import { Browser } from '../helpers/browser.js';
import { authorizeWithPkce, createUser } from '../helpers/flow.js';
import { makeProof, proofKey } from '../helpers/dpop.js';

const REDIRECT = 'https://spa.example/callback';

/** RFC 9449 over the wire, as a client library drives it: oauth4webapi's DPoP handles. */
describe('DPoP-bound tokens (RFC 9449)', () => {
  let server: TestServer;
  let as: oauth.AuthorizationServer;
  let alice: { sub: string; username: string; password: string };
  let rs: { clientId: string; secret: string | null };
  before(async () => {
    server = await startTestServer();
    as = await discover(server);
    alice = await createUser(server, 'alice');
    rs = await registerClient(server, { scope: '' });
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const introspect = async (token: string) =>
    (await postForm(server, '/introspect', { token }, basic(rs.clientId, rs.secret!))).body as Record<string, unknown>;
  const claimsOf = async (jwt: string) =>
    (await jwtVerify(jwt, createRemoteJWKSet(new URL(as.jwks_uri!)), { issuer: as.issuer })).payload;

  /** A public client's front channel: a code for `scope`, with dpop_jkt when given. */
  async function code(clientId: string, scope: string, extra: Record<string, string> = {}) {
    const run = await authorizeWithPkce(server, new Browser(), clientId, REDIRECT, alice, { scope, ...extra });
    const params = oauth.validateAuthResponse(as, { client_id: clientId }, new URL(run.page.location!), run.state);
    return { params, verifier: run.verifier };
  }

  it('advertises the proof algorithms the verifier accepts', () => {
    assert.deepEqual(as.dpop_signing_alg_values_supported, [
      'ES256',
      'ES384',
      'ES512',
      'PS256',
      'PS384',
      'PS512',
      'RS256',
      'RS384',
      'RS512',
      'EdDSA',
    ]);
  });

  it('client_credentials: a DPoP token, cnf.jkt in the JWT and in introspection', async () => {
    const { clientId, secret } = await registerClient(server, {});
    const key = await proofKey();
    const DPoP = oauth.DPoP({}, key);
    const client = { client_id: clientId };
    const res = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(secret!),
      { scope: 'orders:read' },
      { DPoP, ...insecure },
    );
    const tokens = await oauth.processClientCredentialsResponse(as, client, res);
    assert.equal(tokens.token_type, 'dpop');
    const claims = await claimsOf(tokens.access_token);
    assert.deepEqual(claims.cnf, { jkt: key.jkt });
    const answer = await introspect(tokens.access_token);
    assert.equal(answer.active, true);
    assert.equal(answer.token_type, 'DPoP');
    assert.deepEqual(answer.cnf, { jkt: key.jkt });

    // The same client without a proof still gets a bearer token: nothing about it is bound.
    const plain = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(secret!), {}, insecure),
    );
    assert.equal(plain.token_type, 'bearer');
    assert.equal((await claimsOf(plain.access_token)).cnf, undefined);
    const bearer = await introspect(plain.access_token);
    assert.equal(bearer.token_type, 'Bearer');
    assert.equal(bearer.cnf, undefined);
  });

  it('an opaque token is bound too: introspection names its key', async () => {
    const { clientId, secret } = await registerClient(server, { access_token_format: 'opaque' });
    const key = await proofKey();
    const client = { client_id: clientId };
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic(secret!),
        {},
        {
          DPoP: oauth.DPoP({}, key),
          ...insecure,
        },
      ),
    );
    assert.equal(tokens.token_type, 'dpop');
    assert.match(tokens.access_token, /^tlat_/);
    assert.deepEqual((await introspect(tokens.access_token)).cnf, { jkt: key.jkt });
  });

  it('a client registered with dpop_bound_access_tokens gets no token without a proof', async () => {
    const { clientId, secret } = await registerClient(server, { dpop_bound_access_tokens: true });
    const res = await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(clientId, secret!));
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_grant');
  });

  it('public client: code, bound refresh token rotated only with its key, UserInfo with the DPoP scheme', async () => {
    const spa = await registerClient(
      server,
      {
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
        scope: 'openid profile orders:read',
      },
      null,
    );
    const client = { client_id: spa.clientId };
    const key = await proofKey();
    const DPoP = oauth.DPoP({}, key);
    const { params, verifier } = await code(spa.clientId, 'openid profile orders:read');
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, REDIRECT, verifier, {
        DPoP,
        ...insecure,
      }),
    );
    assert.equal(tokens.token_type, 'dpop');
    assert.deepEqual((await claimsOf(tokens.access_token)).cnf, { jkt: key.jkt });
    const refreshAnswer = await introspect(tokens.refresh_token!);
    assert.equal(refreshAnswer.active, true);
    assert.deepEqual(refreshAnswer.cnf, { jkt: key.jkt }, 'a public client’s refresh token is bound');

    // UserInfo: the DPoP scheme with a proof carrying ath.
    const info = await oauth.processUserInfoResponse(
      as,
      client,
      alice.sub,
      await oauth.userInfoRequest(as, client, tokens.access_token, { DPoP, ...insecure }),
    );
    assert.equal(info.sub, alice.sub);
    assert.equal(info.preferred_username, 'alice');
    // The bound token as a bearer token: refused (RFC 9449 §7.2).
    const asBearer = await fetch(`${server.url}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(asBearer.status, 401);
    assert.match(asBearer.headers.get('www-authenticate')!, /^DPoP error="invalid_token"/);
    assert.match(asBearer.headers.get('www-authenticate')!, /algs="ES256 /);
    // The DPoP scheme with a proof of another key: refused.
    const thief = await proofKey();
    const stolen = await fetch(`${server.url}/userinfo`, {
      headers: {
        authorization: `DPoP ${tokens.access_token}`,
        dpop: await makeProof(thief, { htm: 'GET', htu: `${server.url}/userinfo`, accessToken: tokens.access_token }),
      },
    });
    assert.equal(stolen.status, 401);
    assert.match(stolen.headers.get('www-authenticate')!, /error="invalid_token"/);

    // Rotation with another key's proof, or with none: invalid_grant, and the token stays usable.
    for (const options of [{ DPoP: oauth.DPoP({}, thief) }, {}]) {
      const refused = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token!, {
        ...options,
        ...insecure,
      });
      assert.equal(refused.status, 400);
      assert.equal(((await refused.json()) as { error: string }).error, 'invalid_grant');
    }
    const rotated = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token!, { DPoP, ...insecure }),
    );
    assert.equal(rotated.token_type, 'dpop');
    assert.deepEqual((await claimsOf(rotated.access_token)).cnf, { jkt: key.jkt });
    assert.deepEqual((await introspect(rotated.refresh_token!)).cnf, { jkt: key.jkt }, 'the successor is bound too');
  });

  it('a confidential client’s refresh token is not bound; each new access token is bound to the proof sent', async () => {
    const web = await registerClient(server, {
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [REDIRECT],
      scope: 'openid orders:read',
    });
    const client = { client_id: web.clientId };
    const auth = oauth.ClientSecretBasic(web.secret!);
    const first = await proofKey();
    const { params, verifier } = await code(web.clientId, 'openid orders:read');
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, auth, params, REDIRECT, verifier, {
        DPoP: oauth.DPoP({}, first),
        ...insecure,
      }),
    );
    assert.equal((await introspect(tokens.refresh_token!)).cnf, undefined);
    const second = await proofKey();
    const rotated = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, {
        DPoP: oauth.DPoP({}, second),
        ...insecure,
      }),
    );
    assert.deepEqual((await claimsOf(rotated.access_token)).cnf, { jkt: second.jkt });
  });

  it('a code requested with dpop_jkt is redeemed only with a proof of that key (RFC 9449 §10)', async () => {
    const spa = await registerClient(
      server,
      {
        grant_types: ['authorization_code'],
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
        scope: 'orders:read',
      },
      null,
    );
    const client = { client_id: spa.clientId };
    const key = await proofKey();
    const { params, verifier } = await code(spa.clientId, 'orders:read', { dpop_jkt: key.jkt });
    for (const options of [{ DPoP: oauth.DPoP({}, await proofKey()) }, {}]) {
      const refused = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, REDIRECT, verifier, {
        ...options,
        ...insecure,
      });
      assert.equal(refused.status, 400);
      assert.equal(((await refused.json()) as { error: string }).error, 'invalid_grant');
    }
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, REDIRECT, verifier, {
        DPoP: oauth.DPoP({}, key),
        ...insecure,
      }),
    );
    assert.deepEqual((await claimsOf(tokens.access_token)).cnf, { jkt: key.jkt });
  });

  it('GraphQL names the key a token is bound to; a bound token is no bearer token for the API', async () => {
    const admin = await registerClient(server, { scope: 'ledger:admin' });
    const adminClient = { client_id: admin.clientId };
    const cc = (DPoP?: oauth.DPoPHandle) =>
      oauth.clientCredentialsGrantRequest(
        as,
        adminClient,
        oauth.ClientSecretBasic(admin.secret!),
        {},
        {
          ...(DPoP ? { DPoP } : {}),
          ...insecure,
        },
      );
    const bearer = await oauth.processClientCredentialsResponse(as, adminClient, await cc());
    const key = await proofKey();
    const bound = await oauth.processClientCredentialsResponse(as, adminClient, await cc(oauth.DPoP({}, key)));
    const gql = async (token: string, jti: string) => {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: 'query($jti: ID!) { token(jti: $jti) { boundKeyThumbprint } }',
          variables: { jti },
        }),
      });
      return (await res.json()) as { data?: { token: { boundKeyThumbprint: string | null } }; errors?: unknown[] };
    };
    const jtiOf = async (jwt: string) => (await claimsOf(jwt)).jti!;
    assert.equal(
      (await gql(bearer.access_token, await jtiOf(bound.access_token))).data?.token.boundKeyThumbprint,
      key.jkt,
    );
    assert.equal(
      (await gql(bearer.access_token, await jtiOf(bearer.access_token))).data?.token.boundKeyThumbprint,
      null,
    );
    const refused = await gql(bound.access_token, await jtiOf(bound.access_token));
    assert.equal(refused.data, undefined);
    assert.ok(refused.errors, 'a DPoP-bound token sent as a bearer token is refused');
  });

  it('UserInfo still takes an unbound token as a bearer token, and names both schemes when no token came', async () => {
    const spa = await registerClient(
      server,
      {
        grant_types: ['authorization_code'],
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
        scope: 'openid',
      },
      null,
    );
    const client = { client_id: spa.clientId };
    const { params, verifier } = await code(spa.clientId, 'openid');
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, REDIRECT, verifier, insecure),
    );
    const info = await oauth.processUserInfoResponse(
      as,
      client,
      alice.sub,
      await oauth.userInfoRequest(as, client, tokens.access_token, insecure),
    );
    assert.equal(info.sub, alice.sub);
    const none = await fetch(`${server.url}/userinfo`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate')!, /^Bearer realm="token-ledger", DPoP algs="ES256 /);
  });
});

/** DPOP_NONCE=required over the wire: oauth4webapi learns the nonce from use_dpop_nonce and retries once. */
describe('DPoP nonces with a client library', () => {
  let server: TestServer;
  let as: oauth.AuthorizationServer;
  before(async () => {
    server = await startTestServer({ env: { DPOP_NONCE: 'required' } });
    as = await discover(server);
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  /** One request, retried once when the server asks for a nonce (oauth4webapi's documented pattern). */
  async function withNonceRetry<T>(attempt: () => Promise<T>): Promise<{ result: T; retried: boolean }> {
    try {
      return { result: await attempt(), retried: false };
    } catch (err) {
      if (!oauth.isDPoPNonceError(err)) throw err;
      return { result: await attempt(), retried: true };
    }
  }

  it('the token endpoint and UserInfo each ask for a nonce once; oauth4webapi retries with it', async () => {
    const user = await createUser(server);
    const spa = await registerClient(
      server,
      {
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
        scope: 'openid',
      },
      null,
    );
    const client = { client_id: spa.clientId };
    const key = await proofKey();
    const DPoP = oauth.DPoP({}, key);
    const run = await authorizeWithPkce(server, new Browser(), spa.clientId, REDIRECT, user, { scope: 'openid' });
    const params = oauth.validateAuthResponse(as, client, new URL(run.page.location!), run.state);
    const first = await withNonceRetry(async () =>
      oauth.processAuthorizationCodeResponse(
        as,
        client,
        await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, REDIRECT, run.verifier, {
          DPoP,
          ...insecure,
        }),
      ),
    );
    assert.equal(first.retried, true, 'the first proof had no nonce');
    assert.equal(first.result.token_type, 'dpop');
    // The handle now holds the nonce: the refresh needs no retry.
    const refreshed = await withNonceRetry(async () =>
      oauth.processRefreshTokenResponse(
        as,
        client,
        await oauth.refreshTokenGrantRequest(as, client, oauth.None(), first.result.refresh_token!, {
          DPoP,
          ...insecure,
        }),
      ),
    );
    assert.equal(refreshed.retried, false);
    const accessToken = refreshed.result.access_token;
    // UserInfo asks a proof without a nonce for one: 401, a DPoP challenge, and the nonce in DPoP-Nonce.
    const asked = await fetch(`${server.url}/userinfo`, {
      headers: {
        authorization: `DPoP ${accessToken}`,
        dpop: await makeProof(key, { htm: 'GET', htu: `${server.url}/userinfo`, accessToken }),
      },
    });
    assert.equal(asked.status, 401);
    assert.match(asked.headers.get('www-authenticate')!, /^DPoP error="use_dpop_nonce"/);
    assert.match(asked.headers.get('dpop-nonce')!, /^[A-Za-z0-9_-]{24}$/);
    // A handle that has no nonce yet (a client restarted with the same key) retries once at UserInfo.
    const restarted = oauth.DPoP({}, key);
    const info = await withNonceRetry(async () =>
      oauth.processUserInfoResponse(
        as,
        client,
        user.sub,
        await oauth.userInfoRequest(as, client, accessToken, { DPoP: restarted, ...insecure }),
      ),
    );
    assert.equal(info.retried, true);
    assert.equal(info.result.sub, user.sub);
  });
});
