import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { clientsProjection } from '../../projections/clients.js';
import { keysProjection } from '../../projections/keys.js';
import { usersProjection } from '../../projections/users.js';
import { managementSdl } from '../../src/graphql/schema.js';
import { sha256 } from '../../src/crypto/hash.js';
import { Browser } from '../helpers/browser.js';
import { authorizeWithPkce, createUser } from '../helpers/flow.js';
import { basic, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';

interface GqlResponse {
  status: number;
  body: { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  text: string;
}

describe('GraphQL management API (issue 7)', () => {
  let server: TestServer;
  /** Everything a test has seen that must never come back from /graphql. */
  const secrets = new Set<string>();
  const answers: string[] = [];
  let admin: string;
  let adminClientId: string;
  let audit: string;
  let plain: string;

  async function gql(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GqlResponse> {
    const res = await server.fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    answers.push(text);
    return { status: res.status, body: JSON.parse(text), text };
  }

  /** Asserts success and returns data. */
  async function ok(query: string, variables: Record<string, unknown> = {}, token = admin): Promise<any> {
    const res = await gql(query, variables, token);
    assert.equal(res.body.errors, undefined, res.text);
    return res.body.data;
  }

  async function tokenFor(clientId: string, secret: string, scope?: string): Promise<{ token: string; jti: string }> {
    const res = await postForm(
      server,
      '/token',
      { grant_type: 'client_credentials', ...(scope ? { scope } : {}) },
      basic(clientId, secret),
    );
    assert.equal(res.status, 200, res.text);
    const token = res.body.access_token as string;
    secrets.add(token);
    secrets.add(sha256(token));
    const jti = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).jti as string;
    return { token, jti };
  }

  async function client(scope: string) {
    const c = await registerClient(server, { scope });
    secrets.add(c.secret!);
    return { clientId: c.clientId, secret: c.secret! };
  }

  async function introspect(token: string): Promise<boolean> {
    const c = await client('orders:read');
    const res = await postForm(server, '/introspect', { token }, basic(c.clientId, c.secret));
    assert.equal(res.status, 200, res.text);
    return res.body.active as boolean;
  }

  before(async () => {
    server = await startInjectServer();
    const a = await client('ledger:admin');
    adminClientId = a.clientId;
    admin = (await tokenFor(a.clientId, a.secret)).token;
    const b = await client('ledger:audit');
    audit = (await tokenFor(b.clientId, b.secret)).token;
    const p = await client('orders:read');
    plain = (await tokenFor(p.clientId, p.secret)).token;
  });

  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  describe('access', () => {
    const query = '{ signingKeys { kid } }';

    it('no token or an unknown token: UNAUTHENTICATED and no data', async () => {
      for (const token of [undefined, 'not-a-token', `${admin}x`]) {
        const res = await gql(query, {}, token);
        assert.equal(res.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', res.text);
        assert.equal(res.body.data, undefined);
      }
    });

    it('a token without a ledger scope: FORBIDDEN, no data', async () => {
      const res = await gql(query, {}, plain);
      assert.equal(res.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', res.text);
      assert.equal(res.body.data, undefined);
    });

    it('ledger:audit may query but not mutate; ledger:admin may do both', async () => {
      assert.ok((await ok(query, {}, audit)).signingKeys.length >= 2);
      const denied = await gql('mutation { rotateSigningKey { kid } }', {}, audit);
      assert.equal(denied.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', denied.text);
      assert.equal(denied.body.data, undefined);
      const key = (await ok('mutation { rotateSigningKey(alg: RS256) { kid alg status publicJwk } }')).rotateSigningKey;
      assert.equal(key.alg, 'RS256');
      assert.equal(key.publicJwk.d, undefined, 'no private key part');
      assert.ok((await ok(query, {}, audit)).signingKeys.some((k: { kid: string }) => k.kid === key.kid));
    });

    it("revoking an operator's token cuts its access at once", async () => {
      const c = await client('ledger:admin');
      const other = await tokenFor(c.clientId, c.secret);
      await ok(query, {}, other.token);
      const revoked = (
        await ok('mutation($jti: ID!) { revokeToken(jti: $jti, reason: "operator left") { status } }', {
          jti: other.jti,
        })
      ).revokeToken;
      assert.equal(revoked.status, 'REVOKED');
      const res = await gql(query, {}, other.token);
      assert.equal(res.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', res.text);
    });

    it('depth and complexity are limited', async () => {
      const deep = await gql(
        '{ token(jti: "x") { grant { tokens { grant { tokens { grant { tokens { grant { tokens { grant { tokens { jti } } } } } } } } } } } }',
        {},
        admin,
      );
      assert.equal(deep.body.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED', deep.text);
      assert.equal(deep.body.data, undefined);
      const page =
        'tokens(first: 100) { edges { node { jti history { id type data actor reason recordedAt } grant { id } } } }';
      const wide = await gql(`{ ${Array.from({ length: 12 }, (_, i) => `a${i}: ${page}`).join(' ')} }`, {}, admin);
      assert.equal(wide.body.errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX', wide.text.slice(0, 300));
      assert.equal(wide.body.data, undefined);
    });
  });

  describe('tokens', () => {
    it('revokeToken: introspection says inactive at once; history names the operator and the reason', async () => {
      const c = await client('orders:read');
      const { token, jti } = await tokenFor(c.clientId, c.secret, 'orders:read');
      assert.equal(await introspect(token), true);
      const before = (
        await ok('query($jti: ID!) { token(jti: $jti) { jti kind clientId subject scope audience status grantId } }', {
          jti,
        })
      ).token;
      assert.deepEqual(
        { ...before, audience: undefined },
        {
          jti,
          kind: 'access_token',
          clientId: c.clientId,
          subject: c.clientId,
          scope: 'orders:read',
          audience: undefined,
          status: 'ACTIVE',
          grantId: null,
        },
      );

      const revoked = (
        await ok(
          'mutation($jti: ID!) { revokeToken(jti: $jti, reason: "leaked in a log") { status revokedAt revocationReason } }',
          { jti },
        )
      ).revokeToken;
      assert.equal(revoked.status, 'REVOKED');
      assert.equal(revoked.revocationReason, 'leaked in a log');
      assert.equal(await introspect(token), false, 'inactive the moment the mutation answered');

      const history = (
        await ok('query($jti: ID!) { token(jti: $jti) { history { type actor reason data recordedAt stream } } }', {
          jti,
        })
      ).token.history;
      assert.deepEqual(
        history.map((e: { type: string }) => e.type),
        ['AccessTokenIssued', 'TokenRevoked'],
      );
      assert.equal(history[1].actor, `operator:${adminClientId}`);
      assert.equal(history[1].reason, 'leaked in a log');
      assert.equal(history[1].data.reason, 'leaked in a log');
      assert.equal(history[0].data.tokenHash, undefined, 'hashes are left out');
      assert.equal(history[0].stream, `token-${jti}`);

      // tokenStatusAt: from the token's own events.
      const issuedAt = history[0].recordedAt as string;
      const revokedAt = history[1].recordedAt as string;
      const at = async (when: string) =>
        (await ok('query($jti: ID!, $at: DateTime!) { tokenStatusAt(jti: $jti, at: $at) }', { jti, at: when }))
          .tokenStatusAt;
      assert.equal(await at(new Date(Date.parse(issuedAt) - 60_000).toISOString()), null, 'not yet issued');
      const justBefore = new Date(Date.parse(revokedAt) - 1).toISOString();
      assert.equal(
        await at(justBefore >= issuedAt ? justBefore : issuedAt),
        issuedAt === revokedAt ? 'REVOKED' : 'ACTIVE',
      );
      assert.equal(await at(revokedAt), 'REVOKED');
      assert.equal(await at(new Date(Date.now() + 7200_000).toISOString()), 'REVOKED');

      const bad = await gql('mutation($jti: ID!) { revokeToken(jti: $jti, reason: "") { status } }', { jti }, admin);
      assert.equal(bad.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', bad.text);
      const missing = await gql('mutation { revokeToken(jti: "nope", reason: "x") { status } }', {}, admin);
      assert.equal(missing.body.errors?.[0]?.extensions?.code, 'NOT_FOUND', missing.text);
    });

    it('tokenStatusAt says EXPIRED after exp', async () => {
      const c = await client('orders:read');
      const { jti } = await tokenFor(c.clientId, c.secret);
      const t = (await ok('query($jti: ID!) { token(jti: $jti) { expiresAt } }', { jti })).token;
      const later = new Date(Date.parse(t.expiresAt) + 1000).toISOString();
      assert.equal(
        (await ok('query($jti: ID!, $at: DateTime!) { tokenStatusAt(jti: $jti, at: $at) }', { jti, at: later }))
          .tokenStatusAt,
        'EXPIRED',
      );
    });

    it('tokens(filter) pages in issue order with cursors and totalCount; revokeClientTokens revokes them all', async () => {
      const c = await client('orders:read');
      const issued: { token: string; jti: string }[] = [];
      for (let i = 0; i < 5; i++) issued.push(await tokenFor(c.clientId, c.secret));
      const q =
        'query($f: TokenFilter, $after: String) { tokens(filter: $f, first: 2, after: $after) { totalCount edges { cursor node { jti status } } pageInfo { hasNextPage endCursor } } }';
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 5; page++) {
        const conn: any = (await ok(q, { f: { clientId: c.clientId }, after })).tokens;
        assert.equal(conn.totalCount, 5);
        seen.push(...conn.edges.map((e: { node: { jti: string } }) => e.node.jti));
        if (!conn.pageInfo.hasNextPage) break;
        assert.equal(conn.edges.length, 2);
        after = conn.pageInfo.endCursor;
      }
      assert.deepEqual(
        seen,
        issued.map((t) => t.jti),
      );

      const capped = (await ok('{ tokens(first: 1000) { edges { cursor } } }')).tokens;
      assert.ok(capped.edges.length <= 100);

      const n = (
        await ok('mutation($id: ID!) { revokeClientTokens(clientId: $id, reason: "client compromised") }', {
          id: c.clientId,
        })
      ).revokeClientTokens;
      assert.equal(n, 5);
      for (const t of issued) assert.equal(await introspect(t.token), false);
      const left = (
        await ok(
          'query($f: TokenFilter) { tokens(filter: $f) { totalCount edges { node { revocationReason history { actor reason } } } } }',
          { f: { clientId: c.clientId, status: 'ACTIVE' } },
        )
      ).tokens;
      assert.equal(left.totalCount, 0);
      const revoked = (
        await ok(
          'query($f: TokenFilter) { tokens(filter: $f, first: 10) { totalCount edges { node { revocationReason history { type actor reason } } } } }',
          { f: { clientId: c.clientId, status: 'REVOKED' } },
        )
      ).tokens;
      assert.equal(revoked.totalCount, 5);
      for (const e of revoked.edges) {
        assert.equal(e.node.revocationReason, 'client compromised');
        assert.equal(e.node.history.at(-1).actor, `operator:${adminClientId}`);
      }
    });

    it('events: one stream, one category, the whole ledger, in ledger order with cursors', async () => {
      const c = await client('orders:read');
      const { jti } = await tokenFor(c.clientId, c.secret);
      const s = (
        await ok('query($s: String) { events(stream: $s) { totalCount edges { node { type stream } } } }', {
          s: `token-${jti}`,
        })
      ).events;
      assert.equal(s.totalCount, 1);
      assert.equal(s.edges[0].node.type, 'AccessTokenIssued');
      const q =
        'query($c: String, $after: String) { events(category: $c, first: 3, after: $after) { totalCount edges { node { stream position } } pageInfo { hasNextPage endCursor } } }';
      const first = (await ok(q, { c: 'client' })).events;
      assert.equal(first.edges.length, 3);
      assert.ok(first.pageInfo.hasNextPage);
      assert.ok(first.edges.every((e: { node: { stream: string } }) => e.node.stream.startsWith('client-')));
      const second = (await ok(q, { c: 'client', after: first.pageInfo.endCursor })).events;
      assert.ok(BigInt(second.edges[0].node.position) > BigInt(first.edges[2].node.position));
      const all = (await ok('{ events(first: 5) { edges { node { type } } } }')).events;
      assert.equal(all.edges.length, 5);
    });
  });

  describe('grants and users', () => {
    it('a code-flow grant: tokens, rotation, revokeSubjectTokens takes the refresh token and the grant', async () => {
      const redirectUri = 'https://spa.example/callback';
      const spa = await registerClient(
        server,
        {
          grant_types: ['authorization_code', 'refresh_token'],
          redirect_uris: [redirectUri],
          token_endpoint_auth_method: 'none',
          scope: 'orders:read',
        },
        null,
      );
      const alice = await createUser(server);
      const run = await authorizeWithPkce(server, new Browser(server.fetch), spa.clientId, redirectUri, alice, {
        scope: 'orders:read',
      });
      const code = run.params.get('code');
      assert.ok(code, run.page.html?.slice(0, 300));
      const res = await postForm(server, '/token', {
        grant_type: 'authorization_code',
        code: code,
        redirect_uri: redirectUri,
        client_id: spa.clientId,
        code_verifier: run.verifier,
      });
      assert.equal(res.status, 200, res.text);
      const refreshed = await postForm(server, '/token', {
        grant_type: 'refresh_token',
        refresh_token: res.body.refresh_token,
        client_id: spa.clientId,
      });
      assert.equal(refreshed.status, 200, refreshed.text);
      for (const t of [
        res.body.access_token,
        res.body.refresh_token,
        refreshed.body.access_token,
        refreshed.body.refresh_token,
        code,
      ]) {
        secrets.add(t);
        secrets.add(sha256(t));
      }

      const user = (
        await ok(
          'query($sub: ID!) { user(sub: $sub) { sub username grants { id status scopes client { clientId } tokens { kind status revocationReason } } sessions { active amr } history { type } } }',
          { sub: alice.sub },
        )
      ).user;
      assert.equal(user.username, alice.username);
      assert.equal(user.grants.length, 1);
      const grant = user.grants[0];
      assert.equal(grant.client.clientId, spa.clientId);
      assert.deepEqual(
        grant.tokens.map((t: { kind: string; status: string }) => `${t.kind}:${t.status}`),
        ['access_token:ACTIVE', 'refresh_token:REVOKED', 'access_token:ACTIVE', 'refresh_token:ACTIVE'],
      );
      assert.equal(grant.tokens[1].revocationReason, 'rotated');
      assert.ok(user.sessions.length >= 1);
      assert.deepEqual(
        user.history.map((e: { type: string }) => e.type),
        ['UserRegistered'],
      );

      const n = (
        await ok('mutation($sub: ID!) { revokeSubjectTokens(subject: $sub, reason: "account takeover") }', {
          sub: alice.sub,
        })
      ).revokeSubjectTokens;
      assert.equal(n, 3, 'two access tokens and the live refresh token');
      assert.equal(await introspect(refreshed.body.access_token), false);
      assert.equal(await introspect(refreshed.body.refresh_token), false);
      const after = (
        await ok(
          'query($id: ID!) { grant(id: $id) { status revocationReason history { type actor reason } tokens { status } } }',
          { id: grant.id },
        )
      ).grant;
      assert.equal(after.status, 'REVOKED');
      assert.equal(after.revocationReason, 'account takeover');
      assert.ok(after.tokens.every((t: { status: string }) => t.status === 'REVOKED'));
      const last = after.history.at(-1);
      assert.deepEqual(last, { type: 'GrantRevoked', actor: `operator:${adminClientId}`, reason: 'account takeover' });
      const again = await refreshedRefresh(refreshed.body.refresh_token, spa.clientId);
      assert.equal(again, 400);
    });

    async function refreshedRefresh(refreshToken: string, clientId: string): Promise<number> {
      return (
        await postForm(server, '/token', {
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          client_id: clientId,
        })
      ).status;
    }

    it('createUser and disableUser', async () => {
      const created = (
        await ok('mutation($i: CreateUserInput!) { createUser(input: $i) { sub username email disabled } }', {
          i: { username: 'bob-gql', password: 'correct horse battery staple', email: 'bob@example.com' },
        })
      ).createUser;
      secrets.add('correct horse battery staple');
      assert.equal(created.disabled, false);
      const disabled = (
        await ok(
          'mutation($sub: ID!) { disableUser(sub: $sub, reason: "left the company") { disabled history { type actor reason } } }',
          { sub: created.sub },
        )
      ).disableUser;
      assert.equal(disabled.disabled, true);
      assert.deepEqual(disabled.history.at(-1), {
        type: 'UserDisabled',
        actor: `operator:${adminClientId}`,
        reason: 'left the company',
      });
      const dup = await gql(
        'mutation($i: CreateUserInput!) { createUser(input: $i) { sub } }',
        { i: { username: 'bob-gql', password: 'another long password' } },
        admin,
      );
      assert.equal(dup.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', dup.text);
    });
  });

  describe('clients', () => {
    it('registerClient and updateClient refuse an accessTokenTtl above MAX_TOKEN_LIFETIME (BAD_USER_INPUT naming both), and invalid metadata is bad input too, writing nothing', async () => {
      const max = server.runtime.config.maxTokenLifetimeSeconds;
      const head = await ledgerHead(server);
      const tooLong = new RegExp(
        `^access_token_ttl ${max + 1} is above this server's MAX_TOKEN_LIFETIME \\(${max} seconds\\)`,
      );
      const reg = await gql(
        'mutation($i: RegisterClientInput!) { registerClient(input: $i) { clientSecret } }',
        { i: { clientId: 'ttl-too-long', accessTokenTtl: max + 1 } },
        admin,
      );
      assert.equal(reg.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', reg.text);
      assert.equal((reg.body.errors[0].extensions as { reason?: string }).reason, 'invalid_client_metadata');
      assert.match(reg.body.errors[0].message, tooLong);
      const c = await registerClient(server, { client_id: 'ttl-ok' });
      const headAfter = await ledgerHead(server);
      assert.ok(headAfter > head);
      const upd = await gql(
        'mutation($id: ID!, $t: Int!) { updateClient(clientId: $id, input: { accessTokenTtl: $t }) { accessTokenTtl } }',
        { id: c.clientId, t: max + 1 },
        admin,
      );
      assert.equal(upd.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', upd.text);
      assert.match(upd.body.errors[0].message, tooLong);
      // Before, a ClientMetadataError (here a redirect URI with a fragment) came out as INTERNAL_SERVER_ERROR.
      const fragment = await gql(
        'mutation($i: RegisterClientInput!) { registerClient(input: $i) { clientSecret } }',
        { i: { grantTypes: ['authorization_code'], redirectUris: ['https://a.example/cb#x'] } },
        admin,
      );
      assert.equal(fragment.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', fragment.text);
      assert.equal((fragment.body.errors[0].extensions as { reason?: string }).reason, 'invalid_redirect_uri');
      assert.equal(await ledgerHead(server), headAfter);
      assert.equal(
        (
          await ok(
            'mutation($id: ID!, $t: Int!) { updateClient(clientId: $id, input: { accessTokenTtl: $t }) { accessTokenTtl } }',
            { id: c.clientId, t: max },
          )
        ).updateClient.accessTokenTtl,
        max,
      );
    });

    it('registerClient answers the secret once; rotateClientSecret; updateClient; disableClient', async () => {
      const reg = (
        await ok(
          'mutation($i: RegisterClientInput!) { registerClient(input: $i) { clientSecret client { clientId name scope hasSecret disabled history { type actor data } } } }',
          { i: { name: 'Billing', scope: 'billing:read' } },
        )
      ).registerClient;
      const { clientId } = reg.client;
      assert.ok(reg.clientSecret);
      secrets.add(reg.clientSecret);
      assert.equal(reg.client.hasSecret, true);
      assert.equal(reg.client.history[0].type, 'ClientRegistered');
      assert.equal(reg.client.history[0].data.secret, undefined);
      const t1 = await tokenFor(clientId, reg.clientSecret, 'billing:read');
      assert.equal(await introspect(t1.token), true);

      // The default overlap: the replaced secret keeps working for a day, and its use is recorded.
      const overlapping = (
        await ok(
          'mutation($id: ID!) { rotateClientSecret(clientId: $id) { clientSecret client { previousSecretExpiresAt } } }',
          { id: clientId },
        )
      ).rotateClientSecret;
      secrets.add(overlapping.clientSecret);
      const dayAhead = Date.parse(overlapping.client.previousSecretExpiresAt) - Date.now();
      assert.ok(dayAhead > 86_000_000 && dayAhead <= 86_400_000, overlapping.client.previousSecretExpiresAt);
      await tokenFor(clientId, reg.clientSecret);
      await tokenFor(clientId, overlapping.clientSecret);
      // Recorded beside the request, not before its answer.
      let lastUsed: string | null = null;
      for (let i = 0; i < 50 && lastUsed === null; i++) {
        await new Promise((r) => setTimeout(r, 20));
        lastUsed = (
          await ok('query($id: ID!) { client(clientId: $id) { previousSecretLastUsedAt } }', { id: clientId })
        ).client.previousSecretLastUsedAt;
      }
      assert.ok(lastUsed, 'the use of the replaced secret is recorded');

      const rotated = (
        await ok(
          'mutation($id: ID!) { rotateClientSecret(clientId: $id, graceSeconds: 0) { clientSecret client { clientId previousSecretExpiresAt } } }',
          { id: clientId },
        )
      ).rotateClientSecret;
      secrets.add(rotated.clientSecret);
      assert.notEqual(rotated.clientSecret, reg.clientSecret);
      assert.equal(rotated.client.previousSecretExpiresAt, null);
      for (const old of [reg.clientSecret, overlapping.clientSecret])
        assert.equal(
          (await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(clientId, old))).status,
          401,
        );
      await tokenFor(clientId, rotated.clientSecret);

      const updated = (
        await ok(
          'mutation($id: ID!) { updateClient(clientId: $id, input: { name: "Billing v2", accessTokenTtl: 600 }) { name accessTokenTtl scope } }',
          { id: clientId },
        )
      ).updateClient;
      assert.deepEqual(updated, { name: 'Billing v2', accessTokenTtl: 600, scope: 'billing:read' });

      const disabled = (
        await ok(
          'mutation($id: ID!) { disableClient(clientId: $id, reason: "decommissioned") { disabled history { type actor reason } } }',
          { id: clientId },
        )
      ).disableClient;
      assert.equal(disabled.disabled, true);
      assert.deepEqual(disabled.history.at(-1), {
        type: 'ClientDisabled',
        actor: `operator:${adminClientId}`,
        reason: 'decommissioned',
      });
      assert.notEqual(
        (await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(clientId, rotated.clientSecret)))
          .status,
        200,
      );

      const page = (
        await ok(
          '{ clients(first: 2) { totalCount edges { cursor node { clientId } } pageInfo { hasNextPage endCursor } } }',
        )
      ).clients;
      assert.equal(page.edges.length, 2);
      assert.ok(page.totalCount > 2);
      assert.equal(page.pageInfo.hasNextPage, true);
      const next = (
        await ok('query($a: String) { clients(first: 2, after: $a) { edges { node { clientId } } } }', {
          a: page.pageInfo.endCursor,
        })
      ).clients;
      assert.notEqual(next.edges[0].node.clientId, page.edges[0].node.clientId);
    });
  });

  describe('schema', () => {
    it('the committed SDL matches the code (run `npm run schema:graphql` after a schema change)', () => {
      const committed = readFileSync(new URL('../../../schema/management.graphql', import.meta.url), 'utf8');
      assert.equal(committed, managementSdl());
    });

    it('the SDL has no field for a secret or its hash', () => {
      assert.doesNotMatch(managementSdl(), /tokenHash|secretHash|passwordHash|privateKey|codeHash|sidHash/i);
    });

    it('no bearer secret or secret hash can be obtained through any query', async () => {
      const everything = `{
        tokens(first: 100) { edges { node { jti scope history { id type data actor reason } grant { id history { data } } } } }
        clients(first: 100) { edges { node { clientId metadata history { data } } } }
        signingKeys { kid publicJwk }
        events(first: 100) { edges { node { type data } } }
      }`;
      await ok(everything);
      let after: string | null = null;
      for (;;) {
        const conn: any = (
          await ok(
            'query($a: String) { events(first: 100, after: $a) { edges { node { data } } pageInfo { hasNextPage endCursor } } }',
            { a: after },
          )
        ).events;
        if (!conn.pageInfo.hasNextPage) break;
        after = conn.pageInfo.endCursor;
      }
      for (const c of server.runtime.runner.view(clientsProjection).byId.values())
        if (c.secret) secrets.add(c.secret.hash);
      for (const u of server.runtime.runner.view(usersProjection).bySub.values())
        secrets.add(u.passwordHash.hash ?? JSON.stringify(u.passwordHash));
      for (const k of server.runtime.runner.view(keysProjection).keys.values())
        for (const v of Object.values(k.encryptedPrivateKey))
          if (typeof v === 'string' && v.length > 16) secrets.add(v);
      const seen = answers.join('\n');
      for (const s of secrets) {
        // The answers that handed a client secret out (registerClient, rotateClientSecret) are the one exception.
        const hits = answers.filter((a) => a.includes(s) && !a.includes('"clientSecret"'));
        assert.deepEqual(hits, [], `a secret appeared in an answer: ${s.slice(0, 8)}…`);
      }
      assert.doesNotMatch(seen, /"(tokenHash|codeHash|passwordHash|encryptedPrivateKey|sidHash|jtiHash)"/);
    });
  });
});
