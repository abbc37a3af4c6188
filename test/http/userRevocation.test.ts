import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { inflateSync } from 'node:zlib';
import { decodeJwt } from 'jose';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';
import { basic, clientCredentialsToken, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { Browser } from '../helpers/browser.js';
import { authorizeWithPkce, createUser } from '../helpers/flow.js';
import type { RecordedEvent } from '../../src/eventsourcing/eventStore.js';
import { rotateRefreshToken } from '../../src/application/rotateRefreshToken.js';
import { GrantError } from '../../src/domain/grants/decide.js';
import { sha256 } from '../../src/crypto/hash.js';
import { refreshTokenByHash } from '../../src/application/queries/authorization.js';
import { clientsProjection } from '../../projections/clients.js';

/**
 * Issue #15 item 3: what a user held stops working when an operator disables them or changes their
 * password, and what a client held stops working when it is disabled — each checked the way the
 * outside world sees it (introspection, the token endpoint, /authorize, the login form, the status
 * list, back-channel logout) and in the ledger (the events and who caused them).
 */
describe('disabling a user or changing their password ends what they hold', () => {
  let server: TestServer;
  let receiver: Server;
  const logouts: string[] = [];
  let rp: { clientId: string; secret: string };
  let rs: { clientId: string; secret: string };
  let admin: { clientId: string; token: string };
  const redirectUri = 'https://rp.example/cb';

  before(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        logouts.push(new URLSearchParams(body).get('logout_token') ?? '');
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    server = await startInjectServer();
    rp = await relyingParty();
    const r = await registerClient(server, { scope: 'orders:read' });
    rs = { clientId: r.clientId, secret: r.secret! };
    admin = await clientCredentialsToken(server, 'ledger:admin');
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  async function relyingParty() {
    const port = (receiver.address() as { port: number }).port;
    const c = await registerClient(server, {
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      redirect_uris: [redirectUri],
      scope: 'openid profile orders:read',
      backchannel_logout_uri: `http://127.0.0.1:${port}/backchannel`,
      token_endpoint_auth_method: 'client_secret_post',
    });
    return { clientId: c.clientId, secret: c.secret! };
  }

  async function gql(query: string, variables: Record<string, unknown>) {
    const res = await server.fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${admin.token}`,
        'x-request-id': randomUUID(),
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    return body.data!;
  }

  const creds = (c = rp) => ({ client_id: c.clientId, client_secret: c.secret });

  /** The browser outlives a restart: it asks whichever server is running now. */
  const current: typeof fetch = (input, init) => server.fetch(input, init);

  /** A signed-in user's holdings: tokens of a redeemed code, a code not yet redeemed, the browser with the session. */
  async function signIn(user: { username: string; password: string }, client = rp) {
    const browser = new Browser(current);
    const first = await authorizeWithPkce(server, browser, client.clientId, redirectUri, user, {
      scope: 'openid orders:read',
    });
    const code = first.params.get('code');
    assert.ok(code, first.page.html);
    const res = await postForm(server, '/token', {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: first.verifier,
      ...creds(client),
    });
    assert.equal(res.status, 200, res.text);
    const second = await authorizeWithPkce(server, browser, client.clientId, redirectUri, undefined, {
      scope: 'openid orders:read',
      prompt: 'none',
    });
    const pending = second.params.get('code');
    assert.ok(pending, 'the session gives a second code without a login');
    return {
      browser,
      access: res.body.access_token as string,
      refresh: res.body.refresh_token as string,
      sid: decodeJwt(res.body.id_token as string).sid as string,
      pending: { code: pending, verifier: second.verifier },
    };
  }
  type Holdings = Awaited<ReturnType<typeof signIn>>;

  const active = async (token: string) => {
    const res = await postForm(server, '/introspect', { token }, basic(rs.clientId, rs.secret));
    assert.equal(res.status, 200, res.text);
    return res.body.active as boolean;
  };
  const refresh = (h: Holdings, client = rp) =>
    postForm(server, '/token', { grant_type: 'refresh_token', refresh_token: h.refresh, ...creds(client) });
  const redeemPending = (h: Holdings, client = rp) =>
    postForm(server, '/token', {
      grant_type: 'authorization_code',
      code: h.pending.code,
      redirect_uri: redirectUri,
      code_verifier: h.pending.verifier,
      ...creds(client),
    });
  const promptNone = async (h: Holdings) =>
    (
      await authorizeWithPkce(server, h.browser, rp.clientId, redirectUri, undefined, {
        scope: 'openid',
        prompt: 'none',
      })
    ).params;

  /**
   * What a resource server reads: the token's bit in its status list (the list's signature is the status-list tests'
   * business).
   */
  async function statusBit(token: string): Promise<number> {
    const { idx, uri } = (decodeJwt(token).status as { status_list: { idx: number; uri: string } }).status_list;
    const list = decodeJwt(await (await server.fetch(uri)).text()).status_list as { lst: string };
    return (inflateSync(Buffer.from(list.lst, 'base64url'))[idx >> 3] >> (idx & 7)) & 1;
  }

  async function loginRefused(user: { username: string; password: string }): Promise<void> {
    const page = await authorizeWithPkce(server, new Browser(current), rp.clientId, redirectUri, user, {
      scope: 'openid',
    });
    assert.equal(page.page.status, 401);
    assert.match(
      page.page.html,
      /Wrong username or password\./,
      'the same answer as a wrong password: the form tells nobody which accounts exist or are disabled',
    );
  }

  async function logoutFor(sid: string): Promise<Record<string, unknown>> {
    for (const started = Date.now(); Date.now() - started < 8000; await new Promise((r) => setTimeout(r, 50))) {
      const found = logouts.map((t) => decodeJwt(t)).find((c) => c.sid === sid);
      if (found) return found;
    }
    assert.fail(`no back-channel logout for session ${sid}`);
  }

  /** Everything the user held is refused, with the exact RFC error, and no refusal writes to the ledger. */
  async function assertNothingWorks(h: Holdings): Promise<void> {
    assert.equal(await active(h.access), false, 'access token inactive at introspection');
    assert.equal(await active(h.refresh), false, 'refresh token inactive at introspection');
    assert.equal(await statusBit(h.access), 1, 'status-list bit set');
    const head = await ledgerHead(server);
    const refreshed = await refresh(h);
    assert.equal(refreshed.status, 400, refreshed.text);
    assert.equal(refreshed.body.error, 'invalid_grant');
    const redeemed = await redeemPending(h);
    assert.equal(redeemed.status, 400, redeemed.text);
    assert.equal(redeemed.body.error, 'invalid_grant');
    assert.equal((await promptNone(h)).get('error'), 'login_required');
    // The back-channel dispatcher records its delivery's outcome on its own tick, which may fall in here.
    const written = (await eventsSince(head)).filter((e) => !e.type.startsWith('BackchannelLogout'));
    assert.deepEqual(
      written.map((e) => e.type),
      [],
      'the refusals wrote nothing',
    );
  }

  async function eventsSince(position: bigint): Promise<RecordedEvent[]> {
    return server.runtime.store.readAll(position, 1000);
  }

  /** The user event names the operator's command; every record that follows it names that event as its cause. */
  function assertCausedBy(events: RecordedEvent[], type: string, h: Holdings, sub: string): void {
    const fact = events.find((e) => e.type === type && (e.data as { sub: string }).sub === sub);
    assert.ok(fact, `${type} is in the ledger`);
    assert.equal(fact.metadata.actor, `operator:${admin.clientId}`);
    const follow = events.filter((e) => e.metadata.causationId === fact.id);
    assert.deepEqual(
      follow.map((e) => e.type).sort(),
      ['GrantRevoked', 'GrantRevoked', 'SessionEnded'],
      'both grants (redeemed and pending) and the session',
    );
    for (const e of follow) {
      assert.equal(e.metadata.actor, fact.metadata.actor);
      assert.equal(e.metadata.correlationId, fact.metadata.correlationId);
    }
    assert.equal((follow.find((e) => e.type === 'SessionEnded')!.data as { sidHash: string }).sidHash, h.sid);
  }

  it('disableUser: tokens inactive, refresh and code invalid_grant, prompt=none login_required, login refused, status bit set, back-channel logout sent, all caused by the command; enableUser brings nothing back', async () => {
    const user = await createUser(server);
    const h = await signIn(user);
    assert.equal(await active(h.access), true);
    assert.equal(await statusBit(h.access), 0);
    const before = await ledgerHead(server);
    await gql('mutation($sub: ID!) { disableUser(sub: $sub, reason: "left the company") { disabled } }', {
      sub: user.sub,
    });
    const logout = await logoutFor(h.sid);
    assert.equal(logout.sub, user.sub);
    assert.equal(logout.aud, rp.clientId);
    await assertNothingWorks(h);
    await loginRefused(user);
    assertCausedBy(await eventsSince(before), 'UserDisabled', h, user.sub);

    await gql('mutation($sub: ID!) { enableUser(sub: $sub, reason: "came back") { disabled } }', { sub: user.sub });
    await assertNothingWorks(h);
    const again = await signIn(user);
    assert.equal(await active(again.access), true, 'a new sign-in works after enableUser');
  });

  it('setUserPassword: the old sessions, grants and tokens end, and the old password no longer signs in', async () => {
    const user = await createUser(server);
    const h = await signIn(user);
    const before = await ledgerHead(server);
    const password = 'a brand new passphrase';
    await gql(
      'mutation($sub: ID!, $p: String!) { setUserPassword(sub: $sub, password: $p, reason: "reported stolen") { sub } }',
      { sub: user.sub, p: password },
    );
    await logoutFor(h.sid);
    await assertNothingWorks(h);
    await loginRefused(user);
    const events = await eventsSince(before);
    assert.deepEqual(
      events.filter((e) => e.stream === `user-${user.sub}`).map((e) => e.type),
      ['UserPasswordChanged', 'UserSessionsRevoked'],
      'one append: the change and the revocation cannot be separated',
    );
    assertCausedBy(events, 'UserSessionsRevoked', h, user.sub);
    assert.equal(await active((await signIn({ ...user, password })).access), true);
  });

  it('setUserPassword with keepSessions: true leaves sessions, grants and tokens working', async () => {
    const user = await createUser(server);
    const h = await signIn(user);
    await gql(
      'mutation($sub: ID!, $p: String!) { setUserPassword(sub: $sub, password: $p, reason: "routine", keepSessions: true) { sub } }',
      { sub: user.sub, p: 'another long passphrase' },
    );
    assert.equal(await active(h.access), true);
    assert.equal((await redeemPending(h)).status, 200);
    assert.equal((await refresh(h)).status, 200);
    assert.ok((await promptNone(h)).get('code'));
  });

  it('disableClient: its tokens inactive and status bits set, refresh, code and client_credentials invalid_client, /authorize refuses, its grants and tokens revoked by the command', async () => {
    const c = await relyingParty();
    const user = await createUser(server);
    const h = await signIn(user, c);
    const cc = await postForm(server, '/token', {
      grant_type: 'client_credentials',
      scope: 'orders:read',
      ...creds(c),
    });
    assert.equal(cc.status, 200, cc.text);
    const ccToken = cc.body.access_token as string;
    const before = await ledgerHead(server);
    await gql('mutation($id: ID!) { disableClient(clientId: $id, reason: "compromised") { disabled } }', {
      id: c.clientId,
    });
    for (const token of [h.access, h.refresh, ccToken]) assert.equal(await active(token), false);
    assert.deepEqual([await statusBit(h.access), await statusBit(ccToken)], [1, 1]);
    const head = await ledgerHead(server);
    for (const res of [
      await refresh(h, c),
      await redeemPending(h, c),
      await postForm(server, '/token', { grant_type: 'client_credentials', ...creds(c) }),
    ]) {
      assert.equal(res.status, 401, res.text);
      assert.equal(res.body.error, 'invalid_client');
    }
    const authorize = await authorizeWithPkce(server, h.browser, c.clientId, redirectUri, undefined, {
      scope: 'openid',
    });
    assert.equal(authorize.page.status, 400);
    assert.equal(authorize.page.location, null, 'no redirect to a disabled client');
    assert.equal(await ledgerHead(server), head, 'the refusals wrote nothing');
    const events = await eventsSince(before);
    const fact = events.find((e) => e.type === 'ClientDisabled')!;
    assert.equal(fact.metadata.actor, `operator:${admin.clientId}`);
    const follow = events.filter((e) => e.metadata.causationId === fact.id);
    assert.deepEqual(follow.map((e) => e.type).sort(), ['GrantRevoked', 'GrantRevoked', 'TokenRevoked']);
    for (const e of follow)
      assert.deepEqual(
        [e.metadata.actor, e.metadata.correlationId],
        [fact.metadata.actor, fact.metadata.correlationId],
      );
    // Another client asking prompt=none meets a signed-in user (consent is what it lacks, not a login).
    assert.equal(
      (await promptNone(h)).get('error'),
      'consent_required',
      "the user's session stays: it is theirs, and other clients use it",
    );
  });

  it('a refresh in flight while the password change is recorded gives nothing that works', async () => {
    const user = await createUser(server);
    const h = await signIn(user);
    const rt = server.runtime;
    const held = refreshTokenByHash(rt.views, sha256(h.refresh))!;
    const client = rt.runner.view(clientsProjection).byId.get(rp.clientId)!;
    const ctx = { actor: 'operator:test', correlationId: randomUUID() };
    // The rotation has read the views; the revocation is written while it mints and signs.
    const rotation = rotateRefreshToken(
      rt.ports,
      { grantId: held.grantId, jti: held.jti, client, scope: undefined, held, resource: [] },
      ctx,
    );
    const { position } = await rt.ledger.append(
      `user-${user.sub}`,
      [{ type: 'UserSessionsRevoked', data: { sub: user.sub } }],
      'stream_exists',
      ctx,
    );
    await rt.runner.waitFor(position);
    const outcome = await rotation.then(
      (tokens) => tokens,
      (err: unknown) => err,
    );
    if (outcome instanceof GrantError) {
      assert.equal(outcome.code, 'invalid_grant');
    } else {
      const tokens = outcome as Awaited<typeof rotation>;
      assert.equal(await active(tokens.access.token), false, 'the new access token died with the revocation');
      assert.equal(await active(tokens.refreshToken!), false, 'the new refresh token died with the revocation');
    }
    assert.equal(await active(h.access), false);
    assert.equal((await refresh(h)).body.error, 'invalid_grant');
  });

  it('the user event alone is enough: with no per-grant record written (a crash right after it), nothing works, before and after a restart', async () => {
    const user = await createUser(server);
    const h = await signIn(user);
    const { position } = await server.runtime.ledger.append(
      `user-${user.sub}`,
      [{ type: 'UserDisabled', data: { sub: user.sub } }],
      'stream_exists',
      {
        actor: 'operator:test',
        correlationId: randomUUID(),
      },
    );
    await server.runtime.runner.waitFor(position);
    await logoutFor(h.sid);
    await assertNothingWorks(h);
    const { dataDir, env } = server;
    await server.close();
    server = await startInjectServer({ dataDir, env });
    await assertNothingWorks(h);
  });
});
