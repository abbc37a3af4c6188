import { describe, it, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import {
  basic,
  clientCredentialsToken,
  discover,
  insecure,
  ledgerHead,
  postForm,
  registerClient,
} from '../helpers/oauth.js';
import { Browser } from '../helpers/browser.js';
import { authorizeInBrowser, createUser } from '../helpers/flow.js';
import { eventsSince } from '../helpers/fuzz.js';

const REDIRECT = 'https://app.example/cb';
const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

describe('pushed authorization requests (RFC 9126) and request objects (RFC 9101)', () => {
  let server: TestServer;
  let as: oauth.AuthorizationServer;
  let alice: { sub: string; username: string; password: string };
  /** A confidential client with a secret. */
  let web: { clientId: string; secret: string };
  /** A private_key_jwt client whose key also signs its request objects. */
  let signer: { clientId: string; privateKey: CryptoKey };
  let pkce: { verifier: string; challenge: string };

  const authParams = (extra: Record<string, string> = {}) => ({
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid orders:read',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    state: 'st-1',
    ...extra,
  });

  before(async () => {
    server = await startTestServer();
    alice = await createUser(server, 'alice');
    const w = await registerClient(server, {
      grant_types: ['authorization_code'],
      redirect_uris: [REDIRECT, 'https://app.example/other'],
      scope: 'openid orders:read',
    });
    web = { clientId: w.clientId, secret: w.secret! };
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const s = await registerClient(
      server,
      {
        grant_types: ['authorization_code'],
        redirect_uris: [REDIRECT],
        scope: 'openid orders:read',
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [jwk] } as never,
        request_object_signing_alg: 'ES256',
      },
      null,
    );
    signer = { clientId: s.clientId, privateKey };
    as = await discover(server);
    const verifier = oauth.generateRandomCodeVerifier();
    pkce = { verifier, challenge: await oauth.calculatePKCECodeChallenge(verifier) };
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const push = (form: Record<string, string>, headers = basic(web.clientId, web.secret)) =>
    postForm(server, '/par', form, headers);

  /** The browser's side: /authorize with the request_uri, through login and consent, back to the client. */
  async function redeemInBrowser(clientId: string, requestUri: string, browser = new Browser()) {
    const page = await authorizeInBrowser(server, browser, { client_id: clientId, request_uri: requestUri }, alice);
    assert.equal(page.status, 303, page.html.slice(0, 400));
    return new URL(page.location!);
  }

  const codeIssued = async (before: bigint) =>
    (await server.runtime.store.readAll(before, 100)).filter((e) => e.type === 'AuthorizationCodeIssued').at(-1)!
      .data as Record<string, unknown>;

  const signRequestObject = (claims: Record<string, unknown>, opts: { alg?: string; key?: CryptoKey } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: signer.clientId,
      aud: as.issuer,
      client_id: signer.clientId,
      jti: crypto.randomUUID(),
      nbf: now,
      exp: now + 60,
      ...authParams(),
      ...claims,
    })
      .setProtectedHeader({ alg: opts.alg ?? 'ES256', typ: 'oauth-authz-req+jwt' })
      .sign(opts.key ?? signer.privateKey);
  };

  it('advertises the endpoint and what it supports', async () => {
    const meta = await discover(server);
    assert.equal(meta.pushed_authorization_request_endpoint, `${server.url}/par`);
    assert.equal(meta.require_pushed_authorization_requests, false);
    assert.equal(meta.request_parameter_supported, true);
    assert.equal(meta.request_uri_parameter_supported, false);
    assert.deepEqual(meta.request_object_signing_alg_values_supported, ['RS256', 'PS256', 'ES256', 'EdDSA']);
  });

  it('client_secret_basic: push, log in, consent, code, token; the grant records the pushed request', async () => {
    const client = { client_id: web.clientId };
    const res = await oauth.pushedAuthorizationRequest(
      as,
      client,
      oauth.ClientSecretBasic(web.secret),
      authParams(),
      insecure,
    );
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const pushed = await oauth.processPushedAuthorizationResponse(as, client, res);
    assert.equal(pushed.expires_in, 60);
    assert.match(pushed.request_uri, /^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/);

    const before = await ledgerHead(server);
    const location = await redeemInBrowser(web.clientId, pushed.request_uri);
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT);
    const params = oauth.validateAuthResponse(as, client, location, 'st-1');
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic(web.secret),
        params,
        REDIRECT,
        pkce.verifier,
        insecure,
      ),
    );
    assert.ok(tokens.access_token);
    const code = await codeIssued(before);
    assert.equal(code.pushedRequestId, sha256(pushed.request_uri));
    assert.equal(code.requestObject, undefined);
    // Only the hash of the bearer reference is in the ledger.
    const all = JSON.stringify((await server.runtime.store.readAll(0n, 10_000)).map((e) => e.data));
    assert.ok(!all.includes(pushed.request_uri.split(':').at(-1)!));
    assert.ok(all.includes(`"requestId":"${sha256(pushed.request_uri)}"`));
    await server.runtime.ports.settleHistory();
    const grant = server.runtime.ports.history.grantsOf({ clientId: web.clientId }).at(-1)!;
    assert.equal(grant.pushedRequestId, sha256(pushed.request_uri));
  });

  it('private_key_jwt with a signed request object by value at /par', async () => {
    const client = { client_id: signer.clientId };
    const request = await oauth.issueRequestObject(as, client, authParams(), { key: signer.privateKey, kid: 'k1' });
    const res = await oauth.pushedAuthorizationRequest(
      as,
      client,
      oauth.PrivateKeyJwt({ key: signer.privateKey, kid: 'k1' }),
      { request, redirect_uri: 'https://ignored.example/cb' },
      insecure,
    );
    const pushed = await oauth.processPushedAuthorizationResponse(as, client, res);
    const before = await ledgerHead(server);
    const location = await redeemInBrowser(signer.clientId, pushed.request_uri);
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT, 'the request object, not the body, counts');
    const params = oauth.validateAuthResponse(as, client, location, 'st-1');
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(
        as,
        client,
        oauth.PrivateKeyJwt({ key: signer.privateKey, kid: 'k1' }),
        params,
        REDIRECT,
        pkce.verifier,
        insecure,
      ),
    );
    assert.ok(tokens.access_token);
    const code = await codeIssued(before);
    assert.equal(code.pushedRequestId, sha256(pushed.request_uri));
    assert.equal(code.requestObject, true);
  });

  it('a signed request object by value at /authorize; the same one again is refused', async () => {
    const client = { client_id: signer.clientId };
    const request = await oauth.issueRequestObject(as, client, authParams(), { key: signer.privateKey, kid: 'k1' });
    const browser = new Browser();
    const before = await ledgerHead(server);
    const page = await authorizeInBrowser(server, browser, { client_id: signer.clientId, request }, alice);
    assert.equal(page.status, 303, page.html.slice(0, 400));
    const params = oauth.validateAuthResponse(as, client, new URL(page.location!), 'st-1');
    assert.ok(params.get('code'));
    const code = await codeIssued(before);
    assert.equal(code.requestObject, true);
    assert.equal(code.pushedRequestId, undefined);

    const head = await ledgerHead(server);
    const again = await browser.get(
      `${server.url}/authorize?${new URLSearchParams({ client_id: signer.clientId, request })}`,
    );
    assert.equal(again.status, 303);
    assert.equal(new URL(again.location!).searchParams.get('error'), 'invalid_request_object');
    assert.deepEqual(await eventsSince(server, head), []);
  });

  it('a public client pushes with its client_id alone; dpop_jkt is carried through to the code', async () => {
    const pub = await registerClient(
      server,
      {
        grant_types: ['authorization_code'],
        redirect_uris: [REDIRECT],
        scope: 'openid orders:read',
        token_endpoint_auth_method: 'none',
      },
      null,
    );
    const jkt = 'J'.repeat(43);
    const res = await push({ client_id: pub.clientId, ...authParams({ dpop_jkt: jkt }) }, {});
    assert.equal(res.status, 201, res.text);
    const before = await ledgerHead(server);
    await redeemInBrowser(pub.clientId, res.body.request_uri as string);
    assert.equal((await codeIssued(before)).dpopJkt, jkt);
  });

  it('GraphQL shows how each grant was requested', async () => {
    const { token } = await clientCredentialsToken(server, 'ledger:audit');
    const codes = (await server.runtime.store.readAll(0n, 10_000))
      .filter((e) => e.type === 'AuthorizationCodeIssued')
      .map((e) => e.data as { grantId: string; pushedRequestId?: string; requestObject?: boolean });
    const seen = new Set<string>();
    for (const code of codes) {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: 'query($id: ID!) { grant(id: $id) { requestedVia pushedRequestId requestObject } }',
          variables: { id: code.grantId },
        }),
      });
      const { data } = (await res.json()) as { data: { grant: Record<string, unknown> } };
      assert.deepEqual(data.grant, {
        requestedVia: code.pushedRequestId ? 'PUSHED' : 'FRONT_CHANNEL',
        pushedRequestId: code.pushedRequestId ?? null,
        requestObject: code.requestObject === true,
      });
      seen.add(`${String(data.grant.requestedVia)} ${String(data.grant.requestObject)}`);
    }
    assert.deepEqual([...seen].sort(), ['FRONT_CHANNEL true', 'PUSHED false', 'PUSHED true']);
  });

  describe('refusals at /par: JSON, and nothing written', () => {
    const refused = async (
      form: Record<string, string>,
      error: string,
      headers: Record<string, string> = basic(web.clientId, web.secret),
      status = 400,
    ) => {
      const head = await ledgerHead(server);
      const res = await push(form, headers);
      assert.equal(res.status, status, res.text);
      assert.equal(res.body.error, error, res.text);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.deepEqual(await eventsSince(server, head), [], `${error} wrote to the ledger`);
      return res;
    };

    it('without client authentication, or with a wrong secret: invalid_client', async () => {
      await refused({ client_id: web.clientId, ...authParams() }, 'invalid_client', {}, 401);
      await refused(authParams(), 'invalid_client', basic(web.clientId, 'wrong'), 401);
      // Authentication is decided first: a bad request from an unauthenticated caller is still invalid_client.
      await refused(authParams({ request_uri: 'x', scope: 'admin' }), 'invalid_client', basic(web.clientId, 'x'), 401);
    });

    it('a request_uri in the body, another client_id, unsupported parameters', async () => {
      await refused(authParams({ request_uri: 'urn:ietf:params:oauth:request_uri:x' }), 'invalid_request');
      await refused(authParams({ client_id: signer.clientId }), 'invalid_request');
      const details = await refused(authParams({ authorization_details: '[]' }), 'invalid_authorization_details');
      assert.match(details.body.error_description, /authorization_details/);
      assert.match((await refused(authParams({ claims: '{}' }), 'invalid_request')).body.error_description, /claims/);
      const acr = await refused(authParams({ acr_values: 'urn:x' }), 'invalid_request');
      assert.equal(acr.body.error_description, 'acr_values is not supported');
    });

    it('validated as /authorize validates: redirect_uri, scope, PKCE', async () => {
      await refused(authParams({ redirect_uri: 'https://evil.example/cb' }), 'invalid_redirect_uri');
      await refused(authParams({ scope: 'admin' }), 'invalid_scope');
      await refused(authParams({ code_challenge: 'short' }), 'invalid_request');
    });

    it('request objects that are not good enough: invalid_request_object', async () => {
      const auth = { client_id: signer.clientId };
      // A request object only: a private_key_jwt client authenticates with an assertion each time.
      const send = async (request: string) => {
        const assertion = await new SignJWT({ jti: crypto.randomUUID() })
          .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
          .setIssuer(signer.clientId)
          .setSubject(signer.clientId)
          .setAudience(as.issuer)
          .setExpirationTime('1m')
          .sign(signer.privateKey);
        return {
          ...auth,
          request,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        };
      };
      const now = Math.floor(Date.now() / 1000);
      const other = (await generateKeyPair('ES256')).privateKey;
      const cases: [string, Promise<string>][] = [
        ['bad signature', signRequestObject({}, { key: other })],
        [
          'HMAC alg',
          new SignJWT({ iss: signer.clientId }).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32)),
        ],
        ['wrong iss', signRequestObject({ iss: 'someone-else' })],
        ['wrong aud', signRequestObject({ aud: 'https://other.example' })],
        ['expired', signRequestObject({ nbf: now - 300, exp: now - 120 })],
        ['nbf too old', signRequestObject({ nbf: now - 3700, exp: now + 30 })],
        ['too long lived', signRequestObject({ nbf: now, exp: now + 3700 })],
        ['no jti', signRequestObject({ jti: undefined })],
        ['no exp', signRequestObject({ exp: undefined })],
        ['client_id mismatch', signRequestObject({ client_id: web.clientId })],
        ['typ', signRequestObject({}).then(() => signAs('JWT'))],
      ];
      async function signAs(typ: string) {
        return new SignJWT({
          iss: signer.clientId,
          aud: as.issuer,
          client_id: signer.clientId,
          jti: 'x',
          exp: now + 60,
        })
          .setProtectedHeader({ alg: 'ES256', typ })
          .sign(signer.privateKey);
      }
      for (const [what, jwt] of cases) {
        const head = await ledgerHead(server);
        const res = await push(await send(await jwt), {});
        assert.equal(res.body?.error, 'invalid_request_object', `${what}: ${res.text}`);
        // The client assertion's jti is spent (it authenticated); nothing else is written.
        assert.deepEqual(
          (await eventsSince(server, head)).filter((t) => t !== 'ClientAssertionUsed'),
          [],
          `${what} wrote to the ledger`,
        );
      }
      // A replayed request object: the first push records its jti, the second is refused.
      const jwt = await signRequestObject({});
      const first = await push(await send(jwt), {});
      assert.equal(first.status, 201, first.text);
      const head = await ledgerHead(server);
      const second = await push(await send(jwt), {});
      assert.equal(second.body.error, 'invalid_request_object');
      assert.match(second.body.error_description, /jti was used before/);
      assert.deepEqual(
        (await eventsSince(server, head)).filter((t) => t !== 'ClientAssertionUsed'),
        [],
      );
    });

    it('a client that registered request_object_signing_alg: another alg is refused', async () => {
      const { publicKey, privateKey } = await generateKeyPair('EdDSA');
      const jwk = { ...(await exportJWK(publicKey)), kid: 'ed' };
      const c = await registerClient(server, {
        grant_types: ['authorization_code'],
        redirect_uris: [REDIRECT],
        scope: 'orders:read',
        jwks: { keys: [jwk] } as never,
        request_object_signing_alg: 'PS256',
      });
      const now = Math.floor(Date.now() / 1000);
      const request = await new SignJWT({
        iss: c.clientId,
        aud: as.issuer,
        client_id: c.clientId,
        jti: 'j',
        exp: now + 60,
        ...authParams({ scope: 'orders:read' }),
      })
        .setProtectedHeader({ alg: 'EdDSA' })
        .sign(privateKey);
      await refused({ request }, 'invalid_request_object', basic(c.clientId, c.secret!));
    });
  });

  describe('refusals at /authorize', () => {
    const pushed = async () => {
      const res = await push(authParams());
      assert.equal(res.status, 201, res.text);
      return res.body.request_uri as string;
    };
    const open = (query: Record<string, string>) =>
      new Browser().get(`${server.url}/authorize?${new URLSearchParams(query)}`);

    it('a request_uri used twice, by another client, unknown: an error page, nothing written', async () => {
      const uri = await pushed();
      await redeemInBrowser(web.clientId, uri);
      for (const [query, text] of [
        [{ client_id: web.clientId, request_uri: uri }, /already used/],
        [{ client_id: signer.clientId, request_uri: await pushed() }, /not valid/],
        [{ client_id: web.clientId, request_uri: 'urn:ietf:params:oauth:request_uri:nothing' }, /not valid/],
      ] as const) {
        const head = await ledgerHead(server);
        const page = await open(query);
        assert.equal(page.status, 400);
        assert.match(page.html, text);
        assert.deepEqual(await eventsSince(server, head), []);
      }
    });

    it('an expired request_uri: an error page, and the expiry recorded', async () => {
      const uri = await pushed();
      const head = await ledgerHead(server);
      const now = Date.now();
      const later = mock.method(Date, 'now', () => now + 61_000);
      try {
        const page = await open({ client_id: web.clientId, request_uri: uri });
        assert.equal(page.status, 400);
        assert.match(page.html, /expired/);
      } finally {
        later.mock.restore();
      }
      assert.deepEqual(await eventsSince(server, head), ['PushedAuthorizationRequestExpired']);
      const again = await open({ client_id: web.clientId, request_uri: uri });
      assert.match(again.html, /expired/);
    });

    it('a request_uri not from /par: request_uri_not_supported', async () => {
      const page = await open({ ...authParams(), client_id: web.clientId, request_uri: 'https://app.example/req.jwt' });
      assert.equal(page.status, 303);
      assert.equal(new URL(page.location!).searchParams.get('error'), 'request_uri_not_supported');
    });

    it('authorization_details, claims and acr_values are refused by name', async () => {
      for (const [key, error] of [
        ['authorization_details', 'invalid_authorization_details'],
        ['claims', 'invalid_request'],
        ['acr_values', 'invalid_request'],
      ]) {
        const head = await ledgerHead(server);
        const page = await open({ ...authParams({ [key]: 'x' }), client_id: web.clientId });
        const params = new URL(page.location!).searchParams;
        assert.equal(params.get('error'), error);
        assert.equal(params.get('error_description'), `${key} is not supported`);
        assert.deepEqual(await eventsSince(server, head), []);
      }
      // Inside a request object too.
      const request = await signRequestObject({ acr_values: 'urn:x' });
      const page = await open({ client_id: signer.clientId, request });
      assert.equal(new URL(page.location!).searchParams.get('error'), 'invalid_request');
    });

    it('a client that requires PAR: a front-channel request is sent back with invalid_request', async () => {
      const c = await registerClient(server, {
        grant_types: ['authorization_code'],
        redirect_uris: [REDIRECT],
        scope: 'orders:read',
        require_pushed_authorization_requests: true,
      });
      const head = await ledgerHead(server);
      const page = await open({ ...authParams({ scope: 'orders:read' }), client_id: c.clientId });
      assert.equal(page.status, 303);
      const params = new URL(page.location!).searchParams;
      assert.equal(params.get('error'), 'invalid_request');
      assert.match(params.get('error_description')!, /Pushed Authorization Request must be used/);
      assert.equal(params.get('state'), 'st-1');
      // Where the redirect cannot be trusted, a page.
      const untrusted = await open({ ...authParams({ redirect_uri: 'https://evil.example/' }), client_id: c.clientId });
      assert.equal(untrusted.status, 400);
      assert.deepEqual(await eventsSince(server, head), []);
      const res = await postForm(server, '/par', authParams({ scope: 'orders:read' }), basic(c.clientId, c.secret!));
      assert.equal(res.status, 201);
    });
  });
});

describe('REQUIRE_PAR=true', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { REQUIRE_PAR: 'true' } });
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  it('refuses every front-channel request, and says so in discovery', async () => {
    assert.equal((await discover(server)).require_pushed_authorization_requests, true);
    const c = await registerClient(server, {
      grant_types: ['authorization_code'],
      redirect_uris: [REDIRECT],
      scope: 'orders:read',
    });
    const head = await ledgerHead(server);
    const verifier = oauth.generateRandomCodeVerifier();
    const query = {
      client_id: c.clientId,
      response_type: 'code',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    };
    const page = await new Browser().get(`${server.url}/authorize?${new URLSearchParams(query)}`);
    assert.equal(page.status, 303);
    assert.equal(new URL(page.location!).searchParams.get('error'), 'invalid_request');
    assert.deepEqual(await eventsSince(server, head), []);
    const { client_id: _, ...pushedParams } = query;
    const res = await postForm(server, '/par', pushedParams, basic(c.clientId, c.secret!));
    assert.equal(res.status, 201, res.text);
  });
});
