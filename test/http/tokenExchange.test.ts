import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import * as oauth from 'oauth4webapi';
import { decodeJwt } from 'jose';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import { basic, discover, insecure, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { eventsSince } from '../helpers/fuzz.js';
import type { ClientMetadata } from '../../src/domain/clients/events.js';
import { Browser } from '../helpers/browser.js';
import { authorizeWithPkce, createUser } from '../helpers/flow.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const ORDERS = 'https://api.example/orders';
const BILLING = 'https://api.example/billing';

interface Client {
  clientId: string;
  secret: string;
}

/** A confidential client that may exchange tokens for the orders and billing APIs (and get its own actor tokens). */
async function exchanger(server: TestServer, extra: Partial<ClientMetadata> = {}): Promise<Client> {
  const c = await registerClient(server, {
    grant_types: [GRANT, 'client_credentials'],
    token_exchange_audiences: [ORDERS, BILLING],
    ...extra,
  });
  return { clientId: c.clientId, secret: c.secret! };
}

async function ccToken(server: TestServer, c: Client): Promise<string> {
  const res = await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(c.clientId, c.secret));
  assert.equal(res.status, 200, res.text);
  return res.body.access_token as string;
}

describe('OAuth 2.0 Token Exchange (RFC 8693)', () => {
  let server: TestServer;
  let as: oauth.AuthorizationServer;
  let svc: Client;
  let rs: Client;
  let admin: string;

  before(async () => {
    server = await startTestServer();
    as = await discover(server);
    const s = await registerClient(server, {});
    svc = { clientId: s.clientId, secret: s.secret! };
    const r = await registerClient(server, { scope: '' });
    rs = { clientId: r.clientId, secret: r.secret! };
    const a = await registerClient(server, { scope: 'ledger:admin' });
    admin = await ccToken(server, { clientId: a.clientId, secret: a.secret! });
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  /** oauth4webapi's generic grant request and its RFC 6749 §5.1 checks. */
  async function exchange(c: Client, params: Record<string, string | string[]>) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const value of [v].flat()) body.append(k, value);
    const res = await oauth.genericTokenEndpointRequest(
      as,
      { client_id: c.clientId },
      oauth.ClientSecretBasic(c.secret),
      GRANT,
      body,
      insecure,
    );
    return oauth.processGenericTokenEndpointResponse(as, { client_id: c.clientId }, res);
  }

  async function introspect(token: string, headers: Record<string, string> = {}, on = server) {
    const res = await postForm(on, '/introspect', { token }, { ...basic(rs.clientId, rs.secret), ...headers });
    assert.equal(res.status, 200, res.text);
    return res.body as Record<string, unknown>;
  }

  async function gql(query: string, variables: Record<string, unknown> = {}) {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: Record<string, any>; errors?: unknown[] };
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    return body.data!;
  }

  /** A resource server's reading of a JWT's bit in its status list. */
  async function statusBit(token: string): Promise<number> {
    const { idx, uri } = (decodeJwt(token).status as { status_list: { idx: number; uri: string } }).status_list;
    const res = await fetch(uri);
    const list = decodeJwt(await res.text()).status_list as { lst: string };
    const bytes = inflateSync(Buffer.from(list.lst, 'base64url'));
    return (bytes[idx >> 3] >> (idx & 7)) & 1;
  }

  it('is listed in discovery', () => {
    assert.ok(as.grant_types_supported?.includes(GRANT));
  });

  it('the policy is set through GraphQL as through the CLI, and refused for a public client', async () => {
    const data = await gql(
      `mutation { registerClient(input: { grantTypes: ["${GRANT}"], tokenExchangeAudiences: ["${ORDERS}"],
        tokenExchangeImpersonation: true, tokenExchangeMaxDepth: 2, tokenExchangeScope: "orders:read" })
        { client { clientId metadata } } }`,
    );
    const m = data.registerClient.client.metadata as ClientMetadata;
    assert.deepEqual(m.token_exchange_audiences, [ORDERS]);
    assert.equal(m.token_exchange_impersonation, true);
    assert.equal(m.token_exchange_max_depth, 2);
    assert.equal(m.token_exchange_scope, 'orders:read');
    const updated = await gql(
      `mutation ($id: ID!) { updateClient(clientId: $id, input: { tokenExchangeImpersonation: false }) { metadata } }`,
      { id: data.registerClient.client.clientId },
    );
    assert.equal((updated.updateClient.metadata as ClientMetadata).token_exchange_impersonation, false);
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({
        query: `mutation { registerClient(input: { grantTypes: ["${GRANT}"], tokenEndpointAuthMethod: "none",
          tokenExchangeAudiences: ["${ORDERS}"] }) { client { clientId } } }`,
      }),
    });
    const refused = (await res.json()) as { errors: Array<{ extensions: { code: string; reason: string } }> };
    assert.equal(refused.errors[0].extensions.code, 'BAD_USER_INPUT');
    assert.equal(refused.errors[0].extensions.reason, 'invalid_client_metadata');
  });

  it('impersonation: the subject token’s subject, no act, the audience asked for, never past the subject’s exp', async () => {
    const x = await exchanger(server, { token_exchange_impersonation: true });
    const subject = await ccToken(server, svc);
    const res = await exchange(x, { subject_token: subject, subject_token_type: AT, audience: ORDERS });
    assert.equal(res.token_type, 'bearer');
    assert.equal(res.issued_token_type, AT);
    assert.equal(res.scope, 'orders:read orders:write');
    assert.ok(typeof res.expires_in === 'number' && res.expires_in > 0);
    const claims = decodeJwt(res.access_token);
    assert.equal(claims.sub, svc.clientId);
    assert.equal(claims.client_id, x.clientId);
    assert.equal(claims.aud, ORDERS);
    assert.equal(claims.act, undefined);
    assert.ok(claims.exp! <= decodeJwt(subject).exp!);
    const info = await introspect(res.access_token);
    assert.equal(info.active, true);
    assert.equal(info.sub, svc.clientId);
    assert.equal(info.act, undefined);
  });

  it('delegation: act names the actor; requested_token_type jwt and resource work too', async () => {
    const x = await exchanger(server);
    const subject = await ccToken(server, svc);
    const res = await exchange(x, {
      subject_token: subject,
      subject_token_type: AT,
      actor_token: await ccToken(server, x),
      actor_token_type: AT,
      resource: [ORDERS, BILLING],
      scope: 'orders:read',
      requested_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    });
    assert.equal(res.issued_token_type, 'urn:ietf:params:oauth:token-type:jwt');
    assert.equal(res.scope, 'orders:read');
    const claims = decodeJwt(res.access_token);
    assert.deepEqual(claims.act, { sub: x.clientId });
    assert.deepEqual(claims.aud, [ORDERS, BILLING]);
    assert.deepEqual((await introspect(res.access_token)).act, { sub: x.clientId });
  });

  /** T0 (svc) → T1 (x acting) → T2 (y acting) → T3 (z acting). */
  async function chainOfThree() {
    const [x, y, z] = [await exchanger(server), await exchanger(server), await exchanger(server)];
    const t0 = await ccToken(server, svc);
    const step = async (c: Client, subject: string) =>
      (
        await exchange(c, {
          subject_token: subject,
          subject_token_type: AT,
          actor_token: await ccToken(server, c),
          actor_token_type: AT,
          audience: ORDERS,
        })
      ).access_token;
    const t1 = await step(x, t0);
    const t2 = await step(y, t1);
    const t3 = await step(z, t2);
    return { x, y, z, t0, t1, t2, t3 };
  }

  it('a chain of three exchanges nests act (RFC 8693 §4.1), and GraphQL shows the tree and who acted for whom', async () => {
    const { x, y, z, t0, t1, t2, t3 } = await chainOfThree();
    const expected = { sub: z.clientId, act: { sub: y.clientId, act: { sub: x.clientId } } };
    assert.deepEqual(decodeJwt(t3).act, expected);
    assert.deepEqual((await introspect(t3)).act, expected);
    const jti = (t: string) => decodeJwt(t).jti!;
    const data = await gql(
      `query ($jti: ID!) { token(jti: $jti) { jti act derivedFrom { jti derivedFrom { jti derivedFrom { jti } } } } }`,
      { jti: jti(t3) },
    );
    assert.deepEqual(data.token.act, expected);
    assert.equal(data.token.derivedFrom.jti, jti(t2));
    assert.equal(data.token.derivedFrom.derivedFrom.jti, jti(t1));
    assert.equal(data.token.derivedFrom.derivedFrom.derivedFrom.jti, jti(t0));
    const tree = await gql(`query ($jti: ID!) { token(jti: $jti) { derivatives { jti derivatives { jti } } } }`, {
      jti: jti(t0),
    });
    assert.deepEqual(tree.token.derivatives, [{ jti: jti(t1), derivatives: [{ jti: jti(t2) }] }]);
    const acted = await gql(
      `query ($actor: String!, $subject: String!) {
        tokens(filter: { actor: $actor, subject: $subject }) { totalCount edges { node { jti } } } }`,
      { actor: y.clientId, subject: svc.clientId },
    );
    assert.equal(acted.tokens.totalCount, 1);
    assert.equal(acted.tokens.edges[0].node.jti, jti(t2));
  });

  it('revoking the first token ends all three exchanged tokens: introspection, status list, tokenStatusAt, and records caused by it', async () => {
    const { t0, t1, t2, t3 } = await chainOfThree();
    for (const t of [t1, t2, t3]) assert.equal((await introspect(t)).active, true);
    const res = await postForm(server, '/revoke', { token: t0 }, basic(svc.clientId, svc.secret));
    assert.equal(res.status, 200);
    for (const t of [t0, t1, t2, t3]) {
      assert.equal((await introspect(t)).active, false);
      assert.equal(await statusBit(t), 1);
      const at = new Date().toISOString();
      const s = await gql(
        `query ($jti: ID!, $at: DateTime!) { tokenStatusAt(jti: $jti, at: $at) token(jti: $jti) { status } }`,
        {
          jti: decodeJwt(t).jti,
          at,
        },
      );
      assert.equal(s.tokenStatusAt, 'REVOKED');
      assert.equal(s.token.status, 'REVOKED');
    }
    const [cause] = await server.runtime.store.readStream(`token-${decodeJwt(t0).jti}`, 1);
    assert.equal(cause.type, 'TokenRevoked');
    for (const t of [t1, t2, t3]) {
      const events = await server.runtime.store.readStream(`token-${decodeJwt(t).jti}`);
      assert.deepEqual(
        events.map((e) => e.type),
        ['AccessTokenIssued', 'TokenRevoked'],
      );
      assert.equal(events[1].metadata?.causationId, cause.id);
    }
  });

  it('revoking a token in the middle ends what was exchanged from it, not what it came from', async () => {
    const { t0, t1, t2, t3 } = await chainOfThree();
    const res = await gql(`mutation ($jti: ID!) { revokeToken(jti: $jti, reason: "leaked") { status } }`, {
      jti: decodeJwt(t2).jti,
    });
    assert.equal(res.revokeToken.status, 'REVOKED');
    assert.equal((await introspect(t0)).active, true);
    assert.equal((await introspect(t1)).active, true);
    assert.equal((await introspect(t2)).active, false);
    assert.equal((await introspect(t3)).active, false);
  });

  it('a user’s login: its ID token and access token as subjects; revoking the refresh token ends both chains', async () => {
    const redirectUri = 'https://app.example/cb';
    const appClient = await registerClient(server, {
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [redirectUri],
      scope: 'openid orders:read',
    });
    const user = await createUser(server);
    const run = await authorizeWithPkce(server, new Browser(server.fetch), appClient.clientId, redirectUri, user, {
      scope: 'openid orders:read',
    });
    const login = await postForm(
      server,
      '/token',
      {
        grant_type: 'authorization_code',
        code: run.params.get('code')!,
        redirect_uri: redirectUri,
        code_verifier: run.verifier,
      },
      basic(appClient.clientId, appClient.secret!),
    );
    assert.equal(login.status, 200, login.text);
    const x = await exchanger(server, { token_exchange_impersonation: true, scope: 'orders:read' });
    const fromId = await exchange(x, {
      subject_token: login.body.id_token as string,
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      audience: ORDERS,
    });
    assert.equal(decodeJwt(fromId.access_token).sub, user.sub);
    assert.equal(fromId.scope, 'orders:read');
    const fromAccess = await exchange(x, {
      subject_token: login.body.access_token as string,
      subject_token_type: AT,
      actor_token: await ccToken(server, x),
      actor_token_type: AT,
      audience: ORDERS,
    });
    assert.equal((await introspect(fromAccess.access_token)).sub, user.sub);
    const revoked = await postForm(
      server,
      '/revoke',
      { token: login.body.refresh_token as string },
      basic(appClient.clientId, appClient.secret!),
    );
    assert.equal(revoked.status, 200);
    for (const t of [fromId.access_token, fromAccess.access_token]) {
      assert.equal((await introspect(t)).active, false);
      assert.equal(await statusBit(t), 1);
    }
  });

  describe('refusals: the RFC error, and nothing written', () => {
    let x: Client;
    let subject: string;
    before(async () => {
      x = await exchanger(server, { token_exchange_impersonation: true });
      subject = await ccToken(server, svc);
    });

    const refused = async (c: Client, form: Record<string, string | string[]>, error: string) => {
      await server.runtime.ports.events.views.waitFor(await ledgerHead(server));
      const before = await ledgerHead(server);
      const res = await postForm(server, '/token', { grant_type: GRANT, ...form }, basic(c.clientId, c.secret));
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.error, error, res.text);
      assert.deepEqual(await eventsSince(server, before), [], `${error} wrote to the ledger`);
    };
    const base = () => ({ subject_token: subject, subject_token_type: AT, audience: ORDERS });

    it('unauthorized_client: the grant type is not registered', async () => {
      const other = await registerClient(server, { token_exchange_audiences: [ORDERS] });
      await refused({ clientId: other.clientId, secret: other.secret! }, base(), 'unauthorized_client');
    });
    it('unauthorized_client: impersonation is not allowed (delegation only by default)', async () => {
      await refused(await exchanger(server), base(), 'unauthorized_client');
    });
    it('invalid_request: missing or unsupported token types and parameters', async () => {
      await refused(x, { subject_token_type: AT, audience: ORDERS }, 'invalid_request');
      await refused(x, { subject_token: subject, audience: ORDERS }, 'invalid_request');
      await refused(
        x,
        { ...base(), subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' },
        'invalid_request',
      );
      await refused(x, { ...base(), subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' }, 'invalid_request');
      await refused(x, { ...base(), subject_token_type: 'urn:ietf:params:oauth:token-type:jwt' }, 'invalid_request');
      await refused(
        x,
        { ...base(), requested_token_type: 'urn:ietf:params:oauth:token-type:id_token' },
        'invalid_request',
      );
      await refused(x, { ...base(), actor_token: subject }, 'invalid_request');
      await refused(x, { ...base(), actor_token_type: AT }, 'invalid_request');
    });
    it('invalid_target: an audience or resource outside the policy, or none when the choice is not one', async () => {
      await refused(x, { ...base(), audience: 'https://api.example/payroll' }, 'invalid_target');
      await refused(
        x,
        { subject_token: subject, subject_token_type: AT, resource: 'https://evil.example/' },
        'invalid_target',
      );
      await refused(x, { subject_token: subject, subject_token_type: AT, resource: 'not a uri' }, 'invalid_target');
      await refused(x, { subject_token: subject, subject_token_type: AT }, 'invalid_target');
    });
    it('invalid_scope: a scope the subject token does not have, or the client may not keep', async () => {
      await refused(x, { ...base(), scope: 'orders:read admin' }, 'invalid_scope');
      const narrow = await exchanger(server, {
        token_exchange_impersonation: true,
        token_exchange_scope: 'orders:read',
      });
      await refused(narrow, { ...base(), scope: 'orders:write' }, 'invalid_scope');
    });
    it('invalid_grant: an unknown, revoked or foreign subject token, an unknown actor token, a chain too long', async () => {
      await refused(x, { ...base(), subject_token: 'not-a-token' }, 'invalid_grant');
      await refused(x, { ...base(), actor_token: 'nope', actor_token_type: AT }, 'invalid_grant');
      const idLike = await ccToken(server, svc);
      await refused(
        x,
        { ...base(), subject_token: idLike, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' },
        'invalid_grant',
      );
      const revoked = await ccToken(server, svc);
      assert.equal(
        (await postForm(server, '/revoke', { token: revoked }, basic(svc.clientId, svc.secret))).status,
        200,
      );
      await refused(x, { ...base(), subject_token: revoked }, 'invalid_grant');
      const shallow = await exchanger(server, { token_exchange_impersonation: true, token_exchange_max_depth: 1 });
      const once = (await exchange(shallow, base())).access_token;
      await refused(shallow, { ...base(), subject_token: once }, 'invalid_grant');
    });
  });
});

describe('token exchange across two instances on one ledger', () => {
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    a = await startTestServer();
    b = await startTestServer({ dataDir: a.dataDir });
  });
  after(async () => {
    await b.close();
    await a.close();
    removeDir(a.dataDir);
  });

  it('a revocation on one instance ends the exchanged tokens on the other, before and without their own records', async () => {
    const svc = await registerClient(a, {});
    const rs = await registerClient(a, { scope: '' });
    const x = await exchanger(a);
    const token = async (c: { clientId: string; secret: string | null }) =>
      ccToken(a, { clientId: c.clientId, secret: c.secret! });
    const t0 = await token(svc);
    let subject = t0;
    const chain: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await postForm(
        a,
        '/token',
        {
          grant_type: GRANT,
          subject_token: subject,
          subject_token_type: AT,
          actor_token: await token(x),
          actor_token_type: AT,
          audience: ORDERS,
        },
        basic(x.clientId, x.secret),
      );
      assert.equal(res.status, 200, res.text);
      chain.push((subject = res.body.access_token as string));
    }
    const strict = { consistency: 'strict', ...basic(rs.clientId, rs.secret!) };
    for (const t of chain) assert.equal((await postForm(b, '/introspect', { token: t }, strict)).body.active, true);
    // Only the first token's own revocation, as another instance would write it before it could write the rest.
    const jti = decodeJwt(t0).jti!;
    const tokenHash = (await a.runtime.store.readStream(`token-${jti}`))[0].data as { tokenHash: string };
    await a.runtime.ledger.append(
      `token-${jti}`,
      [{ type: 'TokenRevoked', data: { jti, tokenHash: tokenHash.tokenHash, kind: 'access_token', reason: 'test' } }],
      0,
      { actor: 'operator:test', correlationId: randomUUID() },
    );
    for (const t of [t0, ...chain])
      assert.equal((await postForm(b, '/introspect', { token: t }, strict)).body.active, false);
    // The other instance's status lists say revoked too (each instance serves every list from its own view).
    for (const t of [t0, ...chain]) {
      const { idx, uri } = (decodeJwt(t).status as { status_list: { idx: number; uri: string } }).status_list;
      const list = decodeJwt(await (await fetch(`${b.url}${new URL(uri).pathname}`)).text()).status_list as {
        lst: string;
      };
      const bytes = inflateSync(Buffer.from(list.lst, 'base64url'));
      assert.equal((bytes[idx >> 3] >> (idx & 7)) & 1, 1);
    }
  });
});

describe('token exchange across a restart', () => {
  it('the views come back from the checkpoint: act, and the chain still ends with its first token', async () => {
    let server = await startTestServer();
    const { dataDir } = server;
    try {
      const svc = await registerClient(server, {});
      const rs = await registerClient(server, { scope: '' });
      const x = await exchanger(server);
      const t0 = await ccToken(server, { clientId: svc.clientId, secret: svc.secret! });
      const res = await postForm(
        server,
        '/token',
        {
          grant_type: GRANT,
          subject_token: t0,
          subject_token_type: AT,
          actor_token: await ccToken(server, x),
          actor_token_type: AT,
          audience: ORDERS,
        },
        basic(x.clientId, x.secret),
      );
      assert.equal(res.status, 200, res.text);
      await server.close();
      server = await startTestServer({ dataDir });
      const info = async (t: string) =>
        (await postForm(server, '/introspect', { token: t }, basic(rs.clientId, rs.secret!))).body as {
          active: boolean;
          act?: unknown;
        };
      assert.deepEqual((await info(res.body.access_token as string)).act, { sub: x.clientId });
      const revoked = await postForm(server, '/revoke', { token: t0 }, basic(svc.clientId, svc.secret!));
      assert.equal(revoked.status, 200);
      assert.equal((await info(res.body.access_token as string)).active, false);
    } finally {
      await server.close();
      removeDir(dataDir);
    }
  });
});
