import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { CONSOLE_CLIENT_ID, consoleClientMetadata, ensureConsoleClient } from '../../src/application/consoleClient.js';
import { clientById } from '../../src/application/queries/clients.js';
import { userBySub } from '../../src/application/queries/users.js';
import { registerUser } from '../../src/application/registerUser.js';
import { grantRole, revokeRole } from '../../src/application/roles.js';
import { userStream } from '../../src/domain/users/streams.js';
import { Browser } from '../helpers/browser.js';
import { ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';

const PASSWORD = 'correct horse battery';
const operator = () => ({ actor: 'operator:test', correlationId: randomUUID() });
const because = (reason: string) => ({ ...operator(), reason });

interface Gql {
  status: number;
  body: { data?: any; errors?: Array<{ message: string; extensions?: { code?: string; reason?: string } }> };
}

/**
 * A person signs in to the operator console's own client (public, code + PKCE, registered by the server at start) with
 * openid-client, as the console does in the browser, and uses the management API with the token: what the token
 * carries follows the roles the person holds, at every request.
 */
describe('operator roles and the console client, over the wire', () => {
  let server: TestServer;
  let config: client.Configuration;
  const loopbackOnly = { execute: [client.allowInsecureRequests] };
  const users: Record<'operator' | 'auditor' | 'nobody' | 'target', { sub: string; username: string }> = {} as never;

  before(async () => {
    server = await startTestServer();
    const roles = { operator: ['ledger:admin'], auditor: ['ledger:audit'], nobody: [], target: [] };
    for (const [name, held] of Object.entries(roles)) {
      const username = `${name}-${randomUUID().slice(0, 6)}`;
      const u = await registerUser(server.runtime.ports, { username, password: PASSWORD, roles: held }, operator());
      users[name as keyof typeof users] = { sub: u.sub, username };
    }
    config = await client.discovery(new URL(server.url), CONSOLE_CLIENT_ID, undefined, client.None(), loopbackOnly);
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const redirectUri = () => `${server.url}/console/callback`;

  /** The console's sign-in: PKCE S256, the login page, and (first-party) no consent page before the callback. */
  async function signIn(username: string, scope = 'openid profile ledger:admin ledger:audit') {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri(),
      scope,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const browser = new Browser();
    const login = await browser.get(url.toString());
    assert.equal(login.status, 200);
    assert.match(login.html, /name="password"/);
    const back = await browser.submit(server.url + '/authorize', login, { username, password: PASSWORD });
    // Straight back to the console: no consent page for the server's own client.
    assert.equal(back.status, 303, back.html.slice(0, 400));
    const callback = new URL(back.location!);
    assert.equal(`${callback.origin}${callback.pathname}`, redirectUri());
    return client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
  }

  async function gql(token: string, query: string, variables: Record<string, unknown> = {}): Promise<Gql> {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, body: (await res.json()) as Gql['body'] };
  }

  const USER_QUERY = 'query ($sub: ID!) { user(sub: $sub) { sub username roles } }';
  const GRANT =
    'mutation ($sub: ID!, $role: String!) { grantRole(sub: $sub, role: $role, reason: "on call") { roles } }';

  it('registers the console client at start: public, code + PKCE, exact redirect URIs for this issuer', () => {
    const c = clientById(server.runtime.views, CONSOLE_CLIENT_ID);
    assert.ok(c);
    assert.deepEqual(c.metadata, consoleClientMetadata(server.url));
    assert.equal(c.metadata.token_endpoint_auth_method, 'none');
    assert.deepEqual(c.metadata.redirect_uris, [`${server.url}/console/callback`]);
    assert.deepEqual(c.metadata.post_logout_redirect_uris, [`${server.url}/console/`]);
    assert.equal(c.secret, null);
  });

  it('registering it again (each start does) writes nothing', async () => {
    const head = await ledgerHead(server);
    await ensureConsoleClient(server.runtime.ports);
    assert.equal(await ledgerHead(server), head);
  });

  it('a person holding ledger:admin gets it, with the roles claim, and can query and change the ledger', async () => {
    const tokens = await signIn(users.operator.username);
    assert.equal(tokens.scope, 'openid profile ledger:admin');
    assert.deepEqual(tokens.claims()!.roles, ['ledger:admin']);
    const read = await gql(tokens.access_token, USER_QUERY, { sub: users.target.sub });
    assert.equal(read.body.errors, undefined, JSON.stringify(read.body));
    assert.deepEqual(read.body.data.user.roles, []);
    const changed = await gql(tokens.access_token, GRANT, { sub: users.target.sub, role: 'ledger:audit' });
    assert.equal(changed.body.errors, undefined, JSON.stringify(changed.body));
    assert.deepEqual(changed.body.data.grantRole.roles, ['ledger:audit']);
    // The event names the person who acted, and the reason.
    const events = await server.runtime.store.readStream(userStream(users.target.sub));
    const last = events.at(-1)!;
    assert.equal(last.type, 'RoleGranted');
    assert.equal(last.metadata.actor, `user:${users.operator.sub}`);
    assert.equal(last.metadata.reason, 'on call');
    await revokeRole(server.runtime.ports, users.target.sub, 'ledger:audit', because('test over'));
  });

  it('a person holding ledger:audit reads; a mutation is FORBIDDEN and writes nothing', async () => {
    const tokens = await signIn(users.auditor.username);
    assert.equal(tokens.scope, 'openid profile ledger:audit');
    assert.deepEqual(tokens.claims()!.roles, ['ledger:audit']);
    const read = await gql(tokens.access_token, USER_QUERY, { sub: users.target.sub });
    assert.equal(read.body.errors, undefined, JSON.stringify(read.body));
    const head = await ledgerHead(server);
    const refused = await gql(tokens.access_token, GRANT, { sub: users.target.sub, role: 'ledger:admin' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.errors?.[0].extensions?.code, 'FORBIDDEN');
    assert.equal(await ledgerHead(server), head);
    assert.deepEqual(userBySub(server.runtime.views, users.target.sub)!.roles, []);
  });

  it('a person with no role: the ledger scopes are dropped, no roles claim, and GraphQL answers FORBIDDEN', async () => {
    const tokens = await signIn(users.nobody.username);
    assert.equal(tokens.scope, 'openid profile');
    assert.equal(tokens.claims()!.roles, undefined);
    const head = await ledgerHead(server);
    const refused = await gql(tokens.access_token, USER_QUERY, { sub: users.target.sub });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.errors?.[0].extensions?.code, 'FORBIDDEN');
    assert.equal(refused.body.data, undefined);
    assert.equal(await ledgerHead(server), head);
  });

  it('revoking the role: the next GraphQL request is refused, and a refresh drops the scope', async () => {
    const username = `revoked-${randomUUID().slice(0, 6)}`;
    const u = await registerUser(
      server.runtime.ports,
      { username, password: PASSWORD, roles: ['ledger:admin'] },
      operator(),
    );
    const tokens = await signIn(username);
    assert.equal(tokens.scope, 'openid profile ledger:admin');
    assert.equal((await gql(tokens.access_token, USER_QUERY, { sub: u.sub })).body.errors, undefined);

    await revokeRole(server.runtime.ports, u.sub, 'ledger:admin', because('left the team'));
    const head = await ledgerHead(server);
    const refused = await gql(tokens.access_token, GRANT, { sub: users.target.sub, role: 'ledger:audit' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.errors?.[0].extensions?.code, 'FORBIDDEN');
    const read = await gql(tokens.access_token, USER_QUERY, { sub: u.sub });
    assert.equal(read.body.errors?.[0].extensions?.code, 'FORBIDDEN');
    assert.equal(await ledgerHead(server), head);

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    assert.equal(refreshed.scope, 'openid profile');
    assert.equal(refreshed.claims()!.roles, undefined);
    const again = await gql(refreshed.access_token, USER_QUERY, { sub: u.sub });
    assert.equal(again.body.errors?.[0].extensions?.code, 'FORBIDDEN');

    // Granted again, the next refresh of the same sign-in carries it once more (the grant asked for it).
    await grantRole(server.runtime.ports, u.sub, 'ledger:admin', because('back on the team'));
    const restored = await client.refreshTokenGrant(config, refreshed.refresh_token!);
    assert.equal(restored.scope, 'openid profile ledger:admin');
    assert.deepEqual(restored.claims()!.roles, ['ledger:admin']);
  });

  it('a disabled person: their console token no longer reaches the management API', async () => {
    const username = `disabled-${randomUUID().slice(0, 6)}`;
    const u = await registerUser(
      server.runtime.ports,
      { username, password: PASSWORD, roles: ['ledger:audit'] },
      operator(),
    );
    const tokens = await signIn(username);
    const { disableUser } = await import('../../src/application/disableUser.js');
    await disableUser(server.runtime.ports, u.sub, because('gone'));
    const refused = await gql(tokens.access_token, USER_QUERY, { sub: u.sub });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
  });

  it('a redirect URI other than the exact registered one is refused on a page, and nothing is written', async () => {
    const head = await ledgerHead(server);
    for (const wrong of [`${server.url}/console/callback/`, `${server.url}/console/other`, 'https://evil.example/cb']) {
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: wrong,
        scope: 'openid ledger:admin',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const page = await new Browser().get(url.toString());
      assert.equal(page.status, 400, wrong);
      assert.equal(page.location, null);
      assert.match(page.html, /The redirect_uri is not registered for this application\./);
    }
    assert.equal(await ledgerHead(server), head);
  });

  it('the console client cannot use client_credentials (public): unauthorized_client, nothing written', async () => {
    const head = await ledgerHead(server);
    const res = await postForm(server, '/token', {
      grant_type: 'client_credentials',
      client_id: CONSOLE_CLIENT_ID,
      scope: 'ledger:admin',
    });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error, 'unauthorized_client');
    assert.equal(await ledgerHead(server), head);
  });
  it('grantRole and revokeRole by a person: refusals carry their exact reason and write nothing', async () => {
    const tokens = await signIn(users.operator.username);
    const disabledUser = await registerUser(
      server.runtime.ports,
      { username: `off-${randomUUID().slice(0, 6)}`, password: PASSWORD },
      operator(),
    );
    const { disableUser } = await import('../../src/application/disableUser.js');
    await disableUser(server.runtime.ports, disabledUser.sub, because('left'));
    const REVOKE =
      'mutation ($sub: ID!, $role: String!, $reason: String!) { revokeRole(sub: $sub, role: $role, reason: $reason) { roles } }';
    const WITH_REASON =
      'mutation ($sub: ID!, $role: String!, $reason: String!) { grantRole(sub: $sub, role: $role, reason: $reason) { roles } }';
    const head = await ledgerHead(server);
    for (const [query, variables, reason] of [
      [WITH_REASON, { sub: users.target.sub, role: 'ledger:root', reason: 'x' }, 'unknown_role'],
      [REVOKE, { sub: users.target.sub, role: 'admin', reason: 'x' }, 'unknown_role'],
      [WITH_REASON, { sub: disabledUser.sub, role: 'ledger:audit', reason: 'x' }, 'user_disabled'],
      [WITH_REASON, { sub: randomUUID(), role: 'ledger:audit', reason: 'x' }, 'user_not_found'],
      [WITH_REASON, { sub: users.target.sub, role: 'ledger:audit', reason: '  ' }, undefined],
    ] as const) {
      const res = await gql(tokens.access_token, query, variables);
      const error = res.body.errors?.[0];
      assert.equal(error?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(res.body));
      assert.equal(error?.extensions?.reason, reason);
    }
    assert.equal(await ledgerHead(server), head);
    // Revoking a role not held: answered, nothing written.
    const none = await gql(tokens.access_token, REVOKE, { sub: users.target.sub, role: 'ledger:admin', reason: 'x' });
    assert.deepEqual(none.body.data?.revokeRole, { roles: [] });
    assert.equal(await ledgerHead(server), head);
  });

  it("a person's live feed ends once their role is revoked", async () => {
    const username = `feed-${randomUUID().slice(0, 6)}`;
    const u = await registerUser(
      server.runtime.ports,
      { username, password: PASSWORD, roles: ['ledger:audit'] },
      operator(),
    );
    const tokens = await signIn(username);
    const ws = createClient({
      url: `${server.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${tokens.access_token}` },
    });
    const seen: string[] = [];
    let connected!: () => void;
    const ready = new Promise<void>((resolve) => (connected = resolve));
    ws.on('connected', () => connected());
    const ended = new Promise<string>((resolve) => {
      ws.subscribe(
        { query: 'subscription { ledgerEvents(category: "user") { type stream } }' },
        {
          next: (r) => void seen.push((r.data as { ledgerEvents: { type: string } }).ledgerEvents.type),
          error: (e) => resolve(`error ${JSON.stringify(e)}`),
          complete: () => resolve('complete'),
        },
      );
    });
    try {
      await ready;
      await new Promise((r) => setTimeout(r, 100));
      await grantRole(server.runtime.ports, users.target.sub, 'ledger:audit', because('feed check'));
      for (let i = 0; i < 50 && !seen.includes('RoleGranted'); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(seen.includes('RoleGranted'), seen.join(', '));
      await revokeRole(server.runtime.ports, u.sub, 'ledger:audit', because('no more'));
      // The feed asks at each batch it is handed, which may come before the users view has the revocation: the
      // next event ends it, whatever it is.
      await grantRole(server.runtime.ports, users.target.sub, 'ledger:admin', because('poke'));
      assert.equal(await ended, 'complete');
      assert.equal(seen.includes('RoleRevoked') && seen.includes('RoleGranted'), true);
    } finally {
      await ws.dispose();
      await revokeRole(server.runtime.ports, users.target.sub, 'ledger:audit', because('feed check over'));
      await revokeRole(server.runtime.ports, users.target.sub, 'ledger:admin', because('feed check over'));
    }
  });

  it('the consent exemption is for the console client only: the same metadata under another id asks', async () => {
    const lookalike = await registerClient(
      server,
      {
        ...consoleClientMetadata(server.url),
        client_id: 'console-lookalike',
      },
      null,
    );
    const verifier = client.randomPKCECodeVerifier();
    const browser = new Browser();
    const query = {
      client_id: lookalike.clientId,
      redirect_uri: redirectUri(),
      response_type: 'code',
      scope: 'openid ledger:admin',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    };
    const login = await browser.get(`${server.url}/authorize?${new URLSearchParams(query)}`);
    const consent = await browser.submit(server.url + '/authorize', login, {
      username: users.operator.username,
      password: PASSWORD,
    });
    assert.equal(consent.status, 200);
    assert.match(consent.html, /name="decision"/);
    // The page asks only for what the person can be given.
    assert.match(consent.html, /ledger:admin/);
    const nobody = new Browser();
    const loginAgain = await nobody.get(`${server.url}/authorize?${new URLSearchParams(query)}`);
    const consentNobody = await nobody.submit(server.url + '/authorize', loginAgain, {
      username: users.nobody.username,
      password: PASSWORD,
    });
    assert.match(consentNobody.html, /name="decision"/);
    assert.doesNotMatch(consentNobody.html, /ledger:admin/);
  });
});

describe('CONSOLE=off', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { CONSOLE: 'off' } });
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  it('leaves the console client unregistered; a client an operator registers under its id asks for consent', async () => {
    assert.equal(clientById(server.runtime.views, CONSOLE_CLIENT_ID), undefined);
    await registerClient(server, { ...consoleClientMetadata(server.url), client_id: CONSOLE_CLIENT_ID }, null);
    const u = await registerUser(server.runtime.ports, { username: 'ops', password: PASSWORD }, operator());
    const browser = new Browser();
    const login = await browser.get(
      `${server.url}/authorize?${new URLSearchParams({
        client_id: CONSOLE_CLIENT_ID,
        redirect_uri: `${server.url}/console/callback`,
        response_type: 'code',
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      })}`,
    );
    const consent = await browser.submit(server.url + '/authorize', login, { username: 'ops', password: PASSWORD });
    assert.equal(consent.status, 200);
    assert.match(consent.html, /name="decision"/);
    assert.ok(u.sub);
  });
});
