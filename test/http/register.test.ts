import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { mintInitialAccessToken } from '../../src/application/initialAccessTokens.js';
import { execute } from '../../src/application/execute.js';
import { loadConfig } from '../../src/config/config.js';
import { sha256 } from '../../src/crypto/hash.js';
import { initialAccessTokenDecider } from '../../src/domain/initialAccessTokens/decide.js';
import { initialAccessTokenStream } from '../../src/domain/initialAccessTokens/streams.js';
import type { RegistrationPolicy } from '../../src/domain/registration/policy.js';
import { startServer } from '../../src/server.js';
import { startupErrorLine } from '../../src/startupError.js';
import { eventsSince } from '../helpers/fuzz.js';
import { startInjectServer, type InjectServer } from '../helpers/injectServer.js';
import { basic, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { tempDir, testServerEnv } from '../helpers/server.js';

const operator = { actor: 'operator:test', correlationId: 'register-test' };
const GENEROUS = { REGISTRATION_RATE_PER_IP: '100000' };
/** Open registration as an operator who allows everything (the built-in policy would refuse client_credentials). */
const openToAll = () => {
  const file = join(tempDir('register-policy-'), 'policy.json');
  writeFileSync(file, '{}');
  return { DYNAMIC_REGISTRATION: 'open', REGISTRATION_POLICY_FILE: file };
};

/** Most cases here register service clients: without grant types RFC 7591 §2 would mean authorization_code. */
const asService = (url: string, body: unknown) =>
  url.startsWith('/register') &&
  body !== null &&
  typeof body === 'object' &&
  !Array.isArray(body) &&
  !['grant_types', 'redirect_uris', 'software_statement'].some((f) => f in body)
    ? { ...body, grant_types: ['client_credentials'] }
    : body;

interface Answer {
  status: number;
  sentCredentials: boolean;
  headers: Record<string, unknown>;
  body: any;
}

async function send(
  server: InjectServer,
  method: 'POST' | 'GET' | 'PUT' | 'DELETE',
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  remoteAddress?: string,
): Promise<Answer> {
  const res = await server.inject({
    method,
    url,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && {
      payload: typeof body === 'string' ? body : JSON.stringify(method === 'GET' ? body : asService(url, body)),
    }),
    ...(remoteAddress && { remoteAddress }),
  });
  return {
    status: res.statusCode,
    sentCredentials: 'authorization' in headers,
    headers: res.headers,
    body: res.body ? JSON.parse(res.body) : undefined,
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const mint = async (server: InjectServer, opts: { uses?: number; expiresIn?: number; policy?: RegistrationPolicy }) =>
  (await mintInitialAccessToken(server.runtime.ports, opts, operator)).token;

/** A refusal: its status and code, the bearer challenge for token problems, and the ledger left as it was. */
async function assertRefused(server: InjectServer, answer: () => Promise<Answer>, status: number, error: string) {
  const head = await ledgerHead(server);
  const res = await answer();
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error, error, JSON.stringify(res.body));
  assert.equal(res.headers['cache-control'], 'no-store');
  if (error === 'invalid_token') {
    // RFC 6750 §3.1: no credentials at all, no error code in the challenge.
    assert.equal(res.headers['www-authenticate'], res.sentCredentials ? 'Bearer error="invalid_token"' : 'Bearer');
  }
  assert.deepEqual(await eventsSince(server, head), [], `${error} wrote to the ledger`);
  return res;
}

const recorded = async (server: InjectServer, type: string) => {
  const all = await server.runtime.store.readAll(0n, 100_000);
  return all.filter((e) => e.type === type).map((e) => e.data as any);
};

describe('dynamic client registration with initial access tokens (RFC 7591)', () => {
  let server: InjectServer;
  let clock = Date.now();
  before(async () => {
    server = await startInjectServer({ env: GENEROUS, clock: () => clock });
  });
  after(() => server.close());

  it('advertises the endpoint and refuses a registration without a good token: 401 invalid_token', async () => {
    const meta = await send(server, 'GET', '/.well-known/openid-configuration', undefined);
    assert.equal(meta.body.registration_endpoint, `${server.url}/register`);
    const body = { client_name: 'x' };
    await assertRefused(server, () => send(server, 'POST', '/register', body), 401, 'invalid_token');
    await assertRefused(server, () => send(server, 'POST', '/register', body, bearer('unknown')), 401, 'invalid_token');
    await assertRefused(server, () => send(server, 'POST', '/register', body, basic('a', 'b')), 401, 'invalid_token');

    const expiring = await mint(server, { expiresIn: 60 });
    clock = Date.now() + 61_000;
    await assertRefused(server, () => send(server, 'POST', '/register', body, bearer(expiring)), 401, 'invalid_token');
    clock = Date.now();

    const once = await mint(server, { uses: 1 });
    assert.equal((await send(server, 'POST', '/register', body, bearer(once))).status, 201);
    await assertRefused(server, () => send(server, 'POST', '/register', body, bearer(once)), 401, 'invalid_token');

    const revoked = await mint(server, {});
    const tokenHash = sha256(revoked);
    const stream = initialAccessTokenStream(tokenHash);
    const command = { type: 'RevokeInitialAccessToken', tokenHash } as const;
    await execute(server.runtime.ports.events, stream, initialAccessTokenDecider, command, operator);
    await assertRefused(server, () => send(server, 'POST', '/register', body, bearer(revoked)), 401, 'invalid_token');
  });

  it('registers: the client information, a secret, a registration access token, and the token use recorded', async () => {
    const token = await mint(server, { uses: 5 });
    const res = await send(
      server,
      'POST',
      '/register',
      {
        client_name: 'Orders',
        grant_types: ['client_credentials'],
        scope: 'orders:read',
        policy_uri: 'https://orders.example/privacy',
        tos_uri: 'https://orders.example/tos',
        logo_uri: 'https://orders.example/logo.png',
        client_uri: 'https://orders.example/',
        software_version: '1.2', // not known here: ignored (RFC 7591 §2)
      },
      bearer(token),
    );
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.headers['cache-control'], 'no-store');
    const info = res.body;
    assert.equal(info.client_name, 'Orders');
    assert.equal(info.policy_uri, 'https://orders.example/privacy');
    assert.equal(info.tos_uri, 'https://orders.example/tos');
    assert.deepEqual(info.grant_types, ['client_credentials']);
    assert.equal(info.token_endpoint_auth_method, 'client_secret_basic');
    assert.equal(info.client_secret_expires_at, 0);
    assert.equal(typeof info.client_secret, 'string');
    assert.equal(info.software_version, undefined);
    assert.ok(Math.abs(info.client_id_issued_at - Date.now() / 1000) < 60);
    assert.match(info.registration_access_token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(info.registration_client_uri, `${server.url}/register/${info.client_id}`);

    const issued = await postForm(
      server,
      '/token',
      { grant_type: 'client_credentials' },
      basic(info.client_id, info.client_secret),
    );
    assert.equal(issued.status, 200);
    assert.equal(issued.body.scope, 'orders:read');

    const [registered] = (await recorded(server, 'ClientRegistered')).filter((d) => d.clientId === info.client_id);
    assert.deepEqual(registered.registration, {
      via: 'dynamic',
      access: 'initial_access_token',
      initialAccessTokenId: sha256(token),
    });
    // Only hashes are kept: neither the secret nor the registration access token is in the ledger.
    assert.equal(registered.registrationTokenHash, sha256(info.registration_access_token));
    const text = JSON.stringify((await server.runtime.store.readAll(0n, 100_000)).map((e) => e.data));
    assert.ok(!text.includes(info.registration_access_token) && !text.includes(info.client_secret));
    const used = (await recorded(server, 'InitialAccessTokenUsed')).filter((d) => d.clientId === info.client_id);
    assert.deepEqual(used, [{ tokenHash: sha256(token), clientId: info.client_id }]);
  });

  it('a token with one use left, raced by parallel registrations: one client, the others invalid_token', async () => {
    const auth = bearer(await mint(server, { uses: 1 }));
    const head = await ledgerHead(server);
    const answers = await Promise.all(
      [1, 2, 3, 4].map((n) => send(server, 'POST', '/register', { client_name: `race ${n}` }, auth)),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, 401, 401, 401]);
    for (const a of answers.filter((x) => x.status === 401)) {
      assert.equal(a.body.error, 'invalid_token');
      assert.equal(a.headers['www-authenticate'], 'Bearer error="invalid_token"');
    }
    assert.deepEqual((await eventsSince(server, head)).sort(), ['ClientRegistered', 'InitialAccessTokenUsed']);
  });

  it('refuses bad metadata with its RFC 7591 code, writes nothing, and leaves the token use unspent', async () => {
    const token = await mint(server, { uses: 1 });
    const auth = bearer(token);
    const cases: [unknown, string][] = [
      [{ grant_types: ['authorization_code'] }, 'invalid_redirect_uri'],
      [{ grant_types: ['authorization_code'], redirect_uris: ['http://evil.example/cb'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: 'https://a.example/cb' }, 'invalid_redirect_uri'],
      [{ jwks_uri: 'https://a.example/jwks' }, 'invalid_client_metadata'],
      [{ grant_types: 'client_credentials' }, 'invalid_client_metadata'],
      [{ grant_types: ['implicit'] }, 'invalid_client_metadata'],
      [{ token_endpoint_auth_method: 'none' }, 'invalid_client_metadata'],
      [{ scope: 'ledger:admin' }, 'invalid_client_metadata'],
      [{ policy_uri: 'http://a.example/privacy' }, 'invalid_client_metadata'],
      [{ client_uri: 'http://a.example/' }, 'invalid_client_metadata'],
      [{ tos_uri: 'not a url' }, 'invalid_client_metadata'],
      [{ access_token_ttl: 10 ** 9 }, 'invalid_client_metadata'],
      [{ client_name: 'x'.repeat(201) }, 'invalid_client_metadata'],
      [{ response_types: ['token'] }, 'invalid_client_metadata'],
      [[], 'invalid_client_metadata'],
      ['null', 'invalid_client_metadata'],
      ['{"client_name":', 'invalid_request'],
    ];
    for (const [body, error] of cases)
      await assertRefused(server, () => send(server, 'POST', '/register', body, auth), 400, error);
    const formType = { ...auth, 'content-type': 'application/x-www-form-urlencoded' };
    const form = () => send(server, 'POST', '/register', 'client_name=x', formType);
    await assertRefused(server, form, 400, 'invalid_request');
    const big = { client_name: 'x', padding: 'y'.repeat(40_000) };
    const tooBig = await send(server, 'POST', '/register', big, auth);
    assert.equal(tooBig.status, 413);
    // The one use is still there.
    assert.equal((await send(server, 'POST', '/register', { client_name: 'ok' }, auth)).status, 201);
  });

  it("holds a registration to the initial access token's policy", async () => {
    const policy: RegistrationPolicy = {
      grantTypes: ['authorization_code', 'refresh_token'],
      scope: 'openid profile',
      redirectUriPrefixes: ['http://127.0.0.1:'],
      maxAccessTokenTtl: 600,
    };
    const auth = bearer(await mint(server, { policy }));
    const good = {
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1:8123/cb'],
      scope: 'openid',
      access_token_ttl: 600,
    };
    const cases: [object, string][] = [
      [
        { ...good, grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' },
        'invalid_client_metadata',
      ],
      [{ ...good, scope: 'openid email' }, 'invalid_client_metadata'],
      [{ ...good, redirect_uris: ['https://app.example/cb'] }, 'invalid_redirect_uri'],
      [{ ...good, access_token_ttl: 601 }, 'invalid_client_metadata'],
    ];
    for (const [body, error] of cases)
      await assertRefused(server, () => send(server, 'POST', '/register', body, auth), 400, error);
    const res = await send(server, 'POST', '/register', good, auth);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.client_secret, undefined);
    assert.equal(res.body.client_secret_expires_at, undefined);
    const { scope: _none, ...withoutScope } = good;
    const defaulted = await send(server, 'POST', '/register', withoutScope, auth);
    assert.equal(defaulted.status, 201, JSON.stringify(defaulted.body));
    assert.equal(defaulted.body.scope, 'openid profile', "no scope asked: the policy's scopes (RFC 7591 §2)");
  });
});

describe('client management with the registration access token (RFC 7592)', () => {
  let server: InjectServer;
  before(async () => {
    server = await startInjectServer({ env: { ...GENEROUS, ...openToAll() } });
  });
  after(() => server.close());

  const registered = async () => {
    const res = await send(server, 'POST', '/register', { client_name: 'Managed', scope: 'a' });
    assert.equal(res.status, 201);
    return res.body;
  };

  it('reads the client, without its secret or token; refuses a wrong or missing token and operator clients', async () => {
    const info = await registered();
    const path = `/register/${info.client_id}`;
    const read = await send(server, 'GET', path, undefined, bearer(info.registration_access_token));
    assert.equal(read.status, 200);
    assert.equal(read.headers['cache-control'], 'no-store');
    const { client_secret, ...rest } = info;
    assert.deepEqual(read.body, rest, 'RFC 7592 §3: the presented registration access token is in the answer');
    const head = await ledgerHead(server);
    const wrongMethod = await server.inject({ method: 'POST', url: path });
    assert.equal(wrongMethod.statusCode, 405);
    assert.equal(wrongMethod.headers.allow, 'GET, PUT, DELETE');
    assert.deepEqual(await eventsSince(server, head), []);
    assert.ok(client_secret);
    await assertRefused(server, () => send(server, 'GET', path, undefined), 401, 'invalid_token');
    await assertRefused(
      server,
      () => send(server, 'GET', path, undefined, bearer('x'.repeat(43))),
      401,
      'invalid_token',
    );
    await assertRefused(
      server,
      () => send(server, 'GET', '/register/nobody', undefined, bearer(info.registration_access_token)),
      401,
      'invalid_token',
    );
    const operators = await registerClient(server, {});
    const token = bearer(info.registration_access_token);
    await assertRefused(
      server,
      () => send(server, 'GET', `/register/${operators.clientId}`, undefined, token),
      401,
      'invalid_token',
    );
    await assertRefused(
      server,
      () => send(server, 'DELETE', `/register/${operators.clientId}`, undefined, token),
      401,
      'invalid_token',
    );
  });

  it('replaces the metadata (omitted fields back to defaults), rotates the token and keeps the secret', async () => {
    const info = await registered();
    const path = `/register/${info.client_id}`;
    const auth = bearer(info.registration_access_token);
    await assertRefused(
      server,
      () => send(server, 'PUT', path, { client_name: 'no id' }, auth),
      400,
      'invalid_client_metadata',
    );
    await assertRefused(
      server,
      () => send(server, 'PUT', path, { client_id: 'other' }, auth),
      400,
      'invalid_client_metadata',
    );
    const wrongSecret = { client_id: info.client_id, client_secret: 'wrong' };
    await assertRefused(server, () => send(server, 'PUT', path, wrongSecret, auth), 400, 'invalid_client_metadata');
    const badUri = { client_id: info.client_id, grant_types: ['authorization_code'], redirect_uris: ['ftp://x'] };
    await assertRefused(server, () => send(server, 'PUT', path, badUri, auth), 400, 'invalid_redirect_uri');
    await assertRefused(
      server,
      () => send(server, 'PUT', path, { client_id: info.client_id, scope: 'ledger:audit' }, auth),
      400,
      'invalid_client_metadata',
    );

    const res = await send(
      server,
      'PUT',
      path,
      { client_id: info.client_id, client_secret: info.client_secret, tos_uri: 'https://a.example/tos' },
      auth,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.client_name, undefined, 'an omitted field is back to its default');
    assert.equal(res.body.scope, '');
    assert.equal(res.body.tos_uri, 'https://a.example/tos');
    assert.notEqual(res.body.registration_access_token, info.registration_access_token);
    await assertRefused(server, () => send(server, 'GET', path, undefined, auth), 401, 'invalid_token');
    const fresh = bearer(res.body.registration_access_token);
    assert.equal((await send(server, 'GET', path, undefined, fresh)).status, 200);
    const issued = await postForm(
      server,
      '/token',
      { grant_type: 'client_credentials' },
      basic(info.client_id, info.client_secret),
    );
    assert.equal(issued.status, 200, 'the secret stays');
  });

  it('rotates the secret over PUT when asked (rotate_client_secret): both work for the overlap', async () => {
    const info = await registered();
    const path = `/register/${info.client_id}`;
    const auth = bearer(info.registration_access_token);
    const body = { client_id: info.client_id, client_name: 'Managed', scope: 'a' };
    for (const asked of ['yes', 1])
      await assertRefused(
        server,
        () => send(server, 'PUT', path, { ...body, rotate_client_secret: asked }, auth),
        400,
        'invalid_client_metadata',
      );
    const head = await ledgerHead(server);
    const res = await send(server, 'PUT', path, { ...body, rotate_client_secret: true }, auth);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.match(res.body.client_secret, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(res.body.client_secret, info.client_secret);
    assert.equal(res.body.client_secret_expires_at, 0);
    assert.deepEqual(await eventsSince(server, head), [
      'ClientUpdated',
      'ClientRegistrationTokenRotated',
      'ClientSecretRotated',
    ]);
    for (const secret of [info.client_secret, res.body.client_secret]) {
      const issued = await postForm(
        server,
        '/token',
        { grant_type: 'client_credentials' },
        basic(info.client_id, secret),
      );
      assert.equal(issued.status, 200, 'both secrets work during the overlap');
    }
  });

  it('a public client cannot become one with a secret over PUT', async () => {
    const body = {
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      redirect_uris: ['http://127.0.0.1:9/cb'],
    };
    const { body: info } = await send(server, 'POST', '/register', body);
    const path = `/register/${info.client_id}`;
    const auth = bearer(info.registration_access_token);
    const confidential = { ...body, client_id: info.client_id, token_endpoint_auth_method: 'client_secret_basic' };
    await assertRefused(server, () => send(server, 'PUT', path, confidential, auth), 400, 'invalid_client_metadata');
  });

  it('two updates with the same token: one wins, the other is invalid_token', async () => {
    const info = await registered();
    const path = `/register/${info.client_id}`;
    const auth = bearer(info.registration_access_token);
    const answers = await Promise.all(
      [1, 2, 3].map((n) => send(server, 'PUT', path, { client_id: info.client_id, client_name: `n${n}` }, auth)),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 401, 401]);
  });

  it('deletes the client: 204, its tokens stop, its token and id are dead', async () => {
    const info = await registered();
    const path = `/register/${info.client_id}`;
    const auth = bearer(info.registration_access_token);
    const issued = await postForm(
      server,
      '/token',
      { grant_type: 'client_credentials' },
      basic(info.client_id, info.client_secret),
    );
    await assertRefused(server, () => send(server, 'DELETE', path, undefined, bearer('nope')), 401, 'invalid_token');
    const res = await send(server, 'DELETE', path, undefined, auth);
    assert.equal(res.status, 204);
    assert.equal(res.headers['cache-control'], 'no-store');
    await assertRefused(server, () => send(server, 'GET', path, undefined, auth), 401, 'invalid_token');
    await assertRefused(server, () => send(server, 'DELETE', path, undefined, auth), 401, 'invalid_token');
    const again = await postForm(
      server,
      '/token',
      { grant_type: 'client_credentials' },
      basic(info.client_id, info.client_secret),
    );
    assert.equal(again.status, 401);
    const introspected = await postForm(
      server,
      '/introspect',
      { token: issued.body.access_token },
      basic(info.client_id, info.client_secret),
    );
    assert.equal(introspected.status, 401);
    assert.ok((await recorded(server, 'ClientDeleted')).some((d) => d.clientId === info.client_id));
  });
});

describe('registration modes', () => {
  it('open: anyone registers (recorded as open); a bad token presented is still refused', async () => {
    const server = await startInjectServer({ env: { ...GENEROUS, ...openToAll() } });
    try {
      const res = await send(server, 'POST', '/register', { client_name: 'anyone' });
      assert.equal(res.status, 201);
      const [data] = (await recorded(server, 'ClientRegistered')).filter((d) => d.clientId === res.body.client_id);
      assert.deepEqual(data.registration, { via: 'dynamic', access: 'open' });
      await assertRefused(server, () => send(server, 'POST', '/register', {}, bearer('bad')), 401, 'invalid_token');
      await assertRefused(
        server,
        () => send(server, 'POST', '/register', { scope: 'ledger:admin' }),
        400,
        'invalid_client_metadata',
      );
    } finally {
      await server.close();
    }
  });

  it('open with no policy set: the built-in one allows only clients acting for a person', async () => {
    const server = await startInjectServer({ env: { ...GENEROUS, DYNAMIC_REGISTRATION: 'open' } });
    try {
      await assertRefused(
        server,
        () => send(server, 'POST', '/register', { client_name: 'robot' }),
        400,
        'invalid_client_metadata',
      );
      // RFC 7591 §2: no grant_types means authorization_code, which needs a redirect URI.
      await assertRefused(
        server,
        () => send(server, 'POST', '/register', '{"client_name":"no redirect"}'),
        400,
        'invalid_redirect_uri',
      );
      const app = { client_name: 'app', redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none' };
      const res = await send(server, 'POST', '/register', app);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(res.body.grant_types, ['authorization_code']);
    } finally {
      await server.close();
    }
  });

  it('runs the policy file of docs/registration-policy.md: its rate per address replaces REGISTRATION_RATE_PER_IP', async () => {
    const page = readFileSync(join(process.cwd(), 'docs', 'registration-policy.md'), 'utf8');
    const example = /### The file: `REGISTRATION_POLICY_FILE`\s+```json\n([\s\S]*?)```/.exec(page)?.[1];
    assert.ok(example, 'the page shows a policy file');
    const file = join(tempDir('register-policy-'), 'policy.json');
    writeFileSync(file, example);
    const server = await startInjectServer({ env: { DYNAMIC_REGISTRATION: 'open', REGISTRATION_POLICY_FILE: file } });
    try {
      const app = {
        redirect_uris: ['http://127.0.0.1:8765/cb'],
        token_endpoint_auth_method: 'none',
        scope: 'openid',
      };
      for (let i = 0; i < 5; i++) {
        const res = await send(server, 'POST', '/register', app, {}, '198.51.100.9');
        assert.equal(res.status, 201, JSON.stringify(res.body));
        assert.equal(res.body.access_token_ttl, 900, "no lifetime asked: the default cut to the policy's");
      }
      await assertRefused(
        server,
        () => send(server, 'POST', '/register', app, {}, '198.51.100.9'),
        429,
        'temporarily_unavailable',
      );
      await assertRefused(
        server,
        () => send(server, 'POST', '/register', { ...app, grant_types: ['client_credentials'] }, {}, '198.51.100.10'),
        400,
        'invalid_client_metadata',
      );
    } finally {
      await server.close();
    }
  });

  it('off: no endpoint and none advertised', async () => {
    const server = await startInjectServer({ env: { DYNAMIC_REGISTRATION: 'off' } });
    try {
      const meta = await send(server, 'GET', '/.well-known/oauth-authorization-server', undefined);
      assert.equal(meta.body.registration_endpoint, undefined);
      const head = await ledgerHead(server);
      assert.equal((await send(server, 'POST', '/register', {})).status, 404);
      assert.equal((await send(server, 'GET', '/register/x', undefined)).status, 404);
      assert.deepEqual(await eventsSince(server, head), []);
    } finally {
      await server.close();
    }
  });

  it('holds each address (an IPv6 /64) to REGISTRATION_RATE_PER_IP, parallel requests included', async () => {
    const server = await startInjectServer({ env: { ...openToAll(), REGISTRATION_RATE_PER_IP: '3' } });
    try {
      const burst = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          send(server, 'POST', '/register', { client_name: `c${i}` }, {}, `2001:db8:1:2::${i + 1}`),
        ),
      );
      const statuses = burst.map((r) => r.status).sort();
      assert.deepEqual(statuses, [201, 201, 201, ...Array(7).fill(429)]);
      const limited = burst.find((r) => r.status === 429)!;
      assert.equal(limited.body.error, 'temporarily_unavailable');
      assert.ok(Number(limited.headers['retry-after']) >= 1);
      await assertRefused(
        server,
        () => send(server, 'POST', '/register', {}, {}, '2001:db8:1:2:ffff::1'),
        429,
        'temporarily_unavailable',
      );
      assert.equal((await send(server, 'POST', '/register', {}, {}, '2001:db8:1:3::1')).status, 201);
      assert.equal((await send(server, 'POST', '/register', {}, {}, '192.0.2.7')).status, 201);
    } finally {
      await server.close();
    }
  });
});

describe('software statements (RFC 7591 §2.3)', () => {
  const trusted = 'https://statements.example';
  const secondTrusted = 'https://second-statements.example';
  let key: CryptoKey;
  let other: CryptoKey;
  let server: InjectServer;
  let dir: string;
  before(async () => {
    const signing = await generateKeyPair('ES256');
    key = signing.privateKey;
    const second = await generateKeyPair('ES256');
    other = second.privateKey;
    // Two keys listed: a statement is verified with whichever of the issuer's keys matches.
    const spare = await generateKeyPair('RS256');
    const keys = [await exportJWK(spare.publicKey), await exportJWK(signing.publicKey)];
    dir = tempDir();
    const file = join(dir, 'issuers.json');
    const secondIssuer = { iss: secondTrusted, jwks: { keys: [await exportJWK(second.publicKey)] } };
    writeFileSync(file, JSON.stringify({ issuers: [{ iss: trusted, jwks: { keys } }, secondIssuer] }));
    server = await startInjectServer({ env: { ...GENEROUS, SOFTWARE_STATEMENT_ISSUERS_FILE: file } });
  });
  after(() => server.close());

  const statement = (claims: Record<string, unknown>, signer = key, alg = 'ES256', exp = '1h') =>
    new SignJWT({ software_id: 'orders-app', ...claims })
      .setProtectedHeader({ alg })
      .setIssuer((claims.iss as string) ?? trusted)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(signer);

  it('a statement from a trusted issuer is access enough, and its claims win over the JSON', async () => {
    const software_statement = await statement({
      client_name: 'Vouched',
      scope: 'orders:read',
      grant_types: ['client_credentials'],
    });
    const res = await send(server, 'POST', '/register', { software_statement, client_name: 'Claimed', scope: 'x y' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.client_name, 'Vouched');
    assert.equal(res.body.software_statement, software_statement);
    assert.equal(res.body.scope, 'orders:read');
    const [data] = (await recorded(server, 'ClientRegistered')).filter((d) => d.clientId === res.body.client_id);
    assert.deepEqual(data.registration, {
      via: 'dynamic',
      access: 'software_statement',
      softwareStatementIssuer: trusted,
    });
  });

  it('refuses malformed, badly signed, expired and HMAC statements (invalid_software_statement), untrusted issuers (unapproved)', async () => {
    const hmac = new TextEncoder().encode('k'.repeat(32));
    const cases: [unknown, string][] = [
      ['not-a-jwt', 'invalid_software_statement'],
      [42, 'invalid_software_statement'],
      [await statement({}, other), 'invalid_software_statement'],
      [await statement({}, key, 'ES256', '-1h'), 'invalid_software_statement'],
      [
        await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(trusted).sign(hmac),
        'invalid_software_statement',
      ],
      [await statement({ iss: 'https://stranger.example' }, other), 'unapproved_software_statement'],
    ];
    for (const [software_statement, error] of cases)
      await assertRefused(server, () => send(server, 'POST', '/register', { software_statement }), 400, error);
  });

  it('a PUT may not swap the issuer that vouched at registration for another trusted one', async () => {
    const vouched = await statement({ grant_types: ['client_credentials'], scope: 'orders:read' });
    const { body: info } = await send(server, 'POST', '/register', { software_statement: vouched });
    assert.ok(info.registration_access_token, JSON.stringify(info));
    const path = `/register/${info.client_id}`;
    const auth = bearer(info.registration_access_token);
    const swapped = await statement({ iss: secondTrusted, grant_types: ['client_credentials'] }, other);
    await assertRefused(
      server,
      () => send(server, 'PUT', path, { client_id: info.client_id, software_statement: swapped }, auth),
      400,
      'unapproved_software_statement',
    );
    const again = await send(server, 'PUT', path, { client_id: info.client_id, software_statement: vouched }, auth);
    assert.equal(again.status, 200, JSON.stringify(again.body));
  });

  it('with no issuers file, every statement is unapproved', async () => {
    const plain = await startInjectServer({ env: GENEROUS });
    try {
      const software_statement = await statement({});
      await assertRefused(
        plain,
        () => send(plain, 'POST', '/register', { software_statement }),
        400,
        'unapproved_software_statement',
      );
    } finally {
      await plain.close();
    }
  });

  it('a bad issuers file refuses startup with one line', async () => {
    const bad = join(dir, 'bad.json');
    for (const content of ['{', '{"issuers":[{"iss":"x","jwks":{"keys":[{"kty":"oct","k":"AAAA"}]}}]}', '[]']) {
      writeFileSync(bad, content);
      const { env } = await testServerEnv({ env: { SOFTWARE_STATEMENT_ISSUERS_FILE: bad } });
      const err = await startServer(loadConfig(env), { logger: false, listen: false }).then(
        () => assert.fail('started'),
        (e: unknown) => e,
      );
      const line = startupErrorLine(err);
      assert.match(line, /^token-ledger: SOFTWARE_STATEMENT_ISSUERS_FILE .* is invalid: /);
      assert.ok(!line.includes('\n') && !line.includes('unexpected error'), line);
    }
    const { env } = await testServerEnv({ env: { SOFTWARE_STATEMENT_ISSUERS_FILE: join(dir, 'missing.json') } });
    const err = await startServer(loadConfig(env), { logger: false, listen: false }).catch((e: unknown) => e);
    assert.match(startupErrorLine(err), /SOFTWARE_STATEMENT_ISSUERS_FILE .* cannot be read/);
  });
});
