import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Browser } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { authorizeWithPkce, createUser } from '../helpers/flow.js';
import { basic, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { removeDir, tempDir } from '../helpers/server.js';
import { listenOnIssuerPort, startInjectServer, type InjectServer } from '../helpers/injectServer.js';

interface GqlError {
  message: string;
  extensions?: { code?: string; reason?: string };
}
interface GqlResponse {
  status: number;
  body: { data?: any; errors?: GqlError[] };
  text: string;
}

const REDIRECT = 'https://spa.example/callback';

describe("GraphQL: the console's queries (issue 22)", () => {
  let server: InjectServer;
  let admin: string;
  let audit: string;
  let plain: string;

  async function gql(query: string, variables: Record<string, unknown> = {}, token = admin): Promise<GqlResponse> {
    const res = await server.fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text), text };
  }

  async function ok(query: string, variables: Record<string, unknown> = {}, token = admin): Promise<any> {
    const res = await gql(query, variables, token);
    assert.equal(res.body.errors, undefined, res.text);
    return res.body.data;
  }

  /** Asserts a refusal with this code (and reason), no data, and that the ledger did not move. */
  async function refused(query: string, variables: Record<string, unknown>, code: string, reason?: string) {
    const head = await ledgerHead(server);
    const res = await gql(query, variables);
    assert.equal(res.body.errors?.[0]?.extensions?.code, code, res.text);
    if (reason !== undefined) assert.equal(res.body.errors?.[0]?.extensions?.reason, reason, res.text);
    assert.ok(res.body.data == null || Object.values(res.body.data).every((v) => v === null), res.text);
    assert.equal(await ledgerHead(server), head, 'nothing was written');
  }

  async function clientToken(clientId: string, secret: string): Promise<string> {
    const res = await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(clientId, secret));
    assert.equal(res.status, 200, res.text);
    return res.body.access_token as string;
  }

  const jtiOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).jti as string;

  /** A person's code-flow grant, refreshed once: two access tokens, two refresh tokens (the first rotated out). */
  async function codeFlowGrant() {
    const spa = await registerClient(
      server,
      {
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
        scope: 'orders:read',
      },
      null,
    );
    const alice = await createUser(server);
    const run = await authorizeWithPkce(server, new Browser(server.fetch), spa.clientId, REDIRECT, alice, {
      scope: 'orders:read',
    });
    const first = await postForm(server, '/token', {
      grant_type: 'authorization_code',
      code: run.params.get('code')!,
      redirect_uri: REDIRECT,
      client_id: spa.clientId,
      code_verifier: run.verifier,
    });
    assert.equal(first.status, 200, first.text);
    const second = await postForm(server, '/token', {
      grant_type: 'refresh_token',
      refresh_token: first.body.refresh_token,
      client_id: spa.clientId,
    });
    assert.equal(second.status, 200, second.text);
    const grantId = (await ok('query($j: ID!) { token(jti: $j) { grantId } }', { j: jtiOf(first.body.access_token) }))
      .token.grantId as string;
    return { spa, alice, first: first.body, second: second.body, grantId };
  }

  before(async () => {
    server = await startInjectServer();
    const a = await registerClient(server, { scope: 'ledger:admin' });
    admin = await clientToken(a.clientId, a.secret!);
    const b = await registerClient(server, { scope: 'ledger:audit' });
    audit = await clientToken(b.clientId, b.secret!);
    const p = await registerClient(server, { scope: 'orders:read' });
    plain = await clientToken(p.clientId, p.secret!);
  });

  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  describe('activity', () => {
    const q =
      'query($s: DateTime!, $u: DateTime, $b: Int, $c: String) { activity(since: $s, until: $u, bucketSeconds: $b, ' +
      'clientId: $c) { at issued refreshed revoked loginFailed clientAuthFailed } }';

    it("counts a client's issuance, refreshes, revocations and failures, per client and in all", async () => {
      const since = new Date(Date.now() - 60_000).toISOString();
      const svc = await registerClient(server, {});
      const tokens = [await clientToken(svc.clientId, svc.secret!), await clientToken(svc.clientId, svc.secret!)];
      const wrong = await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(svc.clientId, 'x'));
      assert.equal(wrong.status, 401);
      await ok('mutation($j: ID!) { revokeToken(jti: $j, reason: "console test") { status } }', {
        j: jtiOf(tokens[0]),
      });
      const grant = await codeFlowGrant();
      await ok('mutation($g: ID!) { revokeGrant(id: $g, reason: "console test") { status } }', { g: grant.grantId });

      const sum = (buckets: Array<Record<string, number>>, k: string) => buckets.reduce((n, b) => n + b[k], 0);
      const own = (await ok(q, { s: since, b: 300, c: svc.clientId })).activity;
      assert.ok(own.length >= 1 && own.length <= 2, JSON.stringify(own));
      assert.deepEqual(
        ['issued', 'refreshed', 'revoked', 'loginFailed', 'clientAuthFailed'].map((k) => sum(own, k)),
        [2, 0, 1, 0, 1],
      );
      const spa = (await ok(q, { s: since, c: grant.spa.clientId })).activity;
      // Two access tokens (one at the refresh); the grant's revocation ends both and the current refresh token (the
      // rotated-out one was not counted, then or now).
      assert.deepEqual([sum(spa, 'issued'), sum(spa, 'refreshed'), sum(spa, 'revoked')], [2, 1, 3]);
      const all = (await ok(q, { s: since })).activity;
      assert.ok(sum(all, 'issued') >= 4 && sum(all, 'revoked') >= 3 && sum(all, 'clientAuthFailed') >= 1);
      // Every minute from since's to now's is there, in order, zeros included.
      for (let i = 1; i < all.length; i++) assert.equal(Date.parse(all[i].at) - Date.parse(all[i - 1].at), 60_000);
      assert.equal(Date.parse(all[0].at), Math.floor(Date.parse(since) / 60_000) * 60_000);
    });

    it('refuses bad buckets and too many of them with BAD_USER_INPUT, writing nothing', async () => {
      const since = new Date(Date.now() - 3_600_000).toISOString();
      await refused(q, { s: since, b: 30 }, 'BAD_USER_INPUT', 'invalid_bucket');
      await refused(q, { s: since, b: 90 }, 'BAD_USER_INPUT', 'invalid_bucket');
      await refused(q, { s: since, b: 172_800 }, 'BAD_USER_INPUT', 'invalid_bucket');
      await refused(q, { s: since, u: since }, 'BAD_USER_INPUT', 'invalid_range');
      const twoDays = new Date(Date.now() - 47 * 3_600_000).toISOString();
      await refused(q, { s: twoDays, b: 60 }, 'BAD_USER_INPUT', 'too_many_buckets');
      assert.equal((await ok(q, { s: twoDays, b: 120 })).activity.length, 47 * 30 + 1);
    });

    it('costs its buckets: a day of minutes is within the limit, two of them in one document are not', async () => {
      const day = new Date(Date.now() - 1439 * 60_000).toISOString();
      assert.equal((await ok(q, { s: day })).activity.length, 1440);
      const twice =
        'query($s: DateTime!) { a: activity(since: $s) { issued refreshed revoked loginFailed clientAuthFailed } ' +
        'b: activity(since: $s) { issued refreshed revoked loginFailed clientAuthFailed } }';
      await refused(twice, { s: day }, 'QUERY_TOO_COMPLEX');
    });

    it('buckets before the 48 hours kept are left out', async () => {
      const long = (await ok(q, { s: new Date(Date.now() - 72 * 3_600_000).toISOString(), b: 3600 })).activity;
      assert.ok(long.length <= 49 && long.length >= 48, String(long.length));
    });
  });

  describe('ledgerStatus', () => {
    const q =
      '{ ledgerStatus { position liveTokens viewLag historyIndexLag sinks { id lag parked } lastSeal { size } } }';

    it('answers the head, the live tokens and the lags; a revocation shows at once', async () => {
      const before = (await ok(q)).ledgerStatus;
      assert.equal(BigInt(before.position), await ledgerHead(server));
      assert.equal(before.viewLag, 0);
      assert.equal(before.historyIndexLag, 0);
      assert.deepEqual(before.sinks, []);
      const svc = await registerClient(server, {});
      const token = await clientToken(svc.clientId, svc.secret!);
      const issued = (await ok(q)).ledgerStatus;
      assert.equal(issued.liveTokens, before.liveTokens + 1);
      await ok('mutation($j: ID!) { revokeToken(jti: $j, reason: "console test") { status } }', { j: jtiOf(token) });
      assert.equal((await ok(q, {}, audit)).ledgerStatus.liveTokens, before.liveTokens);
    });
  });

  describe('tokens, grants, users and clients', () => {
    it("a grant's refresh chain, reuse, status-list slot and live counts", async () => {
      const g = await codeFlowGrant();
      const grant = (
        await ok(
          'query($g: ID!) { grant(id: $g) { liveTokenCount reuseDetectedAt refreshChain { jti kind status } } }',
          { g: g.grantId },
        )
      ).grant;
      assert.deepEqual(
        grant.refreshChain.map((t: { kind: string; status: string }) => [t.kind, t.status]),
        [
          ['refresh_token', 'REVOKED'],
          ['refresh_token', 'ACTIVE'],
        ],
      );
      // Both access tokens and the current refresh token.
      assert.equal(grant.liveTokenCount, 3);
      assert.equal(grant.reuseDetectedAt, null);
      const entry = (
        await ok('query($j: ID!) { token(jti: $j) { statusListEntry { uri index } } }', {
          j: jtiOf(g.first.access_token),
        })
      ).token.statusListEntry;
      // The slot the JWT itself names in its status claim.
      const claim = JSON.parse(Buffer.from(g.first.access_token.split('.')[1], 'base64url').toString()).status
        .status_list as { uri: string; idx: number };
      assert.deepEqual(entry, { uri: claim.uri, index: claim.idx });
      assert.ok(entry.uri.startsWith(`${server.url}/status-lists/`));
      const refreshJti = grant.refreshChain[0].jti;
      assert.equal(
        (await ok('query($j: ID!) { token(jti: $j) { statusListEntry { uri } } }', { j: refreshJti })).token
          .statusListEntry,
        null,
      );

      // The rotated-out refresh token again: reuse, and the grant is revoked.
      const reuse = await postForm(server, '/token', {
        grant_type: 'refresh_token',
        refresh_token: g.first.refresh_token,
        client_id: g.spa.clientId,
      });
      assert.equal(reuse.status, 400);
      const after = (
        await ok('query($g: ID!) { grant(id: $g) { status liveTokenCount reuseDetectedAt } }', { g: g.grantId })
      ).grant;
      assert.equal(after.status, 'REVOKED');
      assert.equal(after.liveTokenCount, 0);
      assert.ok(Date.parse(after.reuseDetectedAt) > Date.now() - 60_000);
    });

    it('liveTokenCount is what revokeGrant, revokeSubjectTokens and revokeClientTokens revoke', async () => {
      const statuses = async (grantId: string) =>
        (await ok('query($g: ID!) { grant(id: $g) { tokens { jti status } } }', { g: grantId })).grant.tokens.reduce(
          (m: Map<string, string>, t: { jti: string; status: string }) => m.set(t.jti, t.status),
          new Map(),
        );

      const g = await codeFlowGrant();
      const count = (await ok('query($g: ID!) { grant(id: $g) { liveTokenCount } }', { g: g.grantId })).grant
        .liveTokenCount;
      const beforeRevoke = await statuses(g.grantId);
      await ok('mutation($g: ID!) { revokeGrant(id: $g, reason: "count check") { status liveTokenCount } }', {
        g: g.grantId,
      });
      const afterRevoke = await statuses(g.grantId);
      const ended = [...beforeRevoke].filter(([jti, s]) => s === 'ACTIVE' && afterRevoke.get(jti) === 'REVOKED');
      assert.equal(ended.length, count);
      assert.equal(count, 3);

      const h = await codeFlowGrant();
      const user = (
        await ok(
          'query($s: ID!) { user(sub: $s) { liveTokenCount tokens(first: 2) { totalCount edges { node { jti } } pageInfo { hasNextPage endCursor } } } }',
          {
            s: h.alice.sub,
          },
        )
      ).user;
      assert.equal(user.liveTokenCount, 3);
      assert.equal(user.tokens.totalCount, 4);
      assert.equal(user.tokens.edges.length, 2);
      const rest = (
        await ok(
          'query($s: ID!, $a: String) { user(sub: $s) { tokens(first: 5, after: $a) { edges { node { jti } } pageInfo { hasNextPage } } } }',
          {
            s: h.alice.sub,
            a: user.tokens.pageInfo.endCursor,
          },
        )
      ).user.tokens;
      assert.equal(rest.edges.length, 2);
      assert.equal(rest.pageInfo.hasNextPage, false);
      const revoked = (
        await ok('mutation($s: ID!) { revokeSubjectTokens(subject: $s, reason: "count check") }', { s: h.alice.sub })
      ).revokeSubjectTokens;
      assert.equal(revoked, user.liveTokenCount);
      assert.equal(
        (await ok('query($s: ID!) { user(sub: $s) { liveTokenCount } }', { s: h.alice.sub })).user.liveTokenCount,
        0,
      );

      const svc = await registerClient(server, {});
      for (let i = 0; i < 3; i++) await clientToken(svc.clientId, svc.secret!);
      const live = (await ok('query($c: ID!) { client(clientId: $c) { liveTokenCount } }', { c: svc.clientId })).client
        .liveTokenCount;
      assert.equal(live, 3);
      const answered = (
        await ok('mutation($c: ID!) { revokeClientTokens(clientId: $c, reason: "count check") }', { c: svc.clientId })
      ).revokeClientTokens;
      assert.equal(answered, live);
      assert.equal(
        (await ok('query($c: ID!) { client(clientId: $c) { liveTokenCount } }', { c: svc.clientId })).client
          .liveTokenCount,
        0,
      );
    });
  });

  describe('read-your-writes after each console mutation', () => {
    it('token, grant, user, client, tokens, activity and ledgerStatus reflect the mutation at once', async () => {
      const since = new Date(Date.now() - 60_000).toISOString();
      const revokedIn = async (clientId: string) =>
        (
          await ok('query($s: DateTime!, $c: String) { activity(since: $s, clientId: $c) { revoked } }', {
            s: since,
            c: clientId,
          })
        ).activity.reduce((n: number, b: { revoked: number }) => n + b.revoked, 0);
      const live = async () => (await ok('{ ledgerStatus { liveTokens } }')).ledgerStatus.liveTokens as number;

      // revokeToken
      const svc = await registerClient(server, {});
      const token = await clientToken(svc.clientId, svc.secret!);
      const liveBefore = await live();
      await ok('mutation($j: ID!) { revokeToken(jti: $j, reason: "ryw") { jti } }', { j: jtiOf(token) });
      assert.equal(
        (await ok('query($j: ID!) { token(jti: $j) { status } }', { j: jtiOf(token) })).token.status,
        'REVOKED',
      );
      const listed = await ok(
        'query($c: String) { tokens(filter: { clientId: $c, status: REVOKED }) { totalCount } }',
        {
          c: svc.clientId,
        },
      );
      assert.equal(listed.tokens.totalCount, 1);
      assert.equal(await revokedIn(svc.clientId), 1);
      assert.equal(await live(), liveBefore - 1);

      // revokeGrant
      const g = await codeFlowGrant();
      await ok('mutation($g: ID!) { revokeGrant(id: $g, reason: "ryw") { id } }', { g: g.grantId });
      assert.equal(
        (await ok('query($g: ID!) { grant(id: $g) { status liveTokenCount } }', { g: g.grantId })).grant.status,
        'REVOKED',
      );
      assert.equal(await revokedIn(g.spa.clientId), 3);

      // revokeSubjectTokens, disableUser, enableUser
      const h = await codeFlowGrant();
      await ok('mutation($s: ID!) { revokeSubjectTokens(subject: $s, reason: "ryw") }', { s: h.alice.sub });
      assert.equal(
        (await ok('query($s: ID!) { user(sub: $s) { liveTokenCount } }', { s: h.alice.sub })).user.liveTokenCount,
        0,
      );
      await ok('mutation($s: ID!) { disableUser(sub: $s, reason: "ryw") { sub } }', { s: h.alice.sub });
      assert.equal((await ok('query($s: ID!) { user(sub: $s) { disabled } }', { s: h.alice.sub })).user.disabled, true);
      await ok('mutation($s: ID!) { enableUser(sub: $s, reason: "ryw") { sub } }', { s: h.alice.sub });
      assert.equal(
        (await ok('query($s: ID!) { user(sub: $s) { disabled } }', { s: h.alice.sub })).user.disabled,
        false,
      );

      // revokeClientTokens, rotateClientSecret, disableClient
      const c = await registerClient(server, {});
      await clientToken(c.clientId, c.secret!);
      await ok('mutation($c: ID!) { revokeClientTokens(clientId: $c, reason: "ryw") }', { c: c.clientId });
      assert.equal(
        (await ok('query($c: ID!) { client(clientId: $c) { liveTokenCount } }', { c: c.clientId })).client
          .liveTokenCount,
        0,
      );
      assert.equal(await revokedIn(c.clientId), 1);
      const rotated = (
        await ok('mutation($c: ID!) { rotateClientSecret(clientId: $c, graceSeconds: 0) { clientSecret } }', {
          c: c.clientId,
        })
      ).rotateClientSecret;
      assert.equal(
        (await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(c.clientId, c.secret!))).status,
        401,
      );
      await clientToken(c.clientId, rotated.clientSecret);
      await ok('mutation($c: ID!) { disableClient(clientId: $c, reason: "ryw") { clientId } }', { c: c.clientId });
      const disabled = (
        await ok('query($c: ID!) { client(clientId: $c) { disabled liveTokenCount } }', { c: c.clientId })
      ).client;
      assert.deepEqual(disabled, { disabled: true, liveTokenCount: 0 });
    });
  });

  describe('verifyLedger and replayDigest', () => {
    it('answer what the CLI answers', async () => {
      const head = await ledgerHead(server);
      const verified = (
        await ok('{ verifyLedger { ok events streams firstBroken { position stream revision reason } } }', {}, audit)
      ).verifyLedger;
      const cli = await runCli(['verify', '--json'], server.env);
      assert.equal(cli.code, 0, cli.stderr);
      const report = JSON.parse(cli.stdout);
      assert.deepEqual(verified, { ok: true, events: report.events, streams: report.streams, firstBroken: null });
      assert.ok(BigInt(verified.events) >= head);

      const position = String(head - 5n);
      const replayed = (
        await ok('query($p: String) { replayDigest(position: $p) { position digest events } }', { p: position }, audit)
      ).replayDigest;
      const cliReplay = await runCli(['replay', '--until', position, '--json'], server.env);
      assert.equal(cliReplay.code, 0, cliReplay.stderr);
      const summary = JSON.parse(cliReplay.stdout);
      assert.deepEqual(replayed, { position, digest: summary.digest, events: summary.events });
    });

    it('one run at a time: a second at once is refused UNAVAILABLE, ledger_run_in_progress', async () => {
      const [a, b] = await Promise.all([gql('{ verifyLedger { ok } }'), gql('{ replayDigest { digest } }')]);
      const codes = [a, b].map((r) => r.body.errors?.[0]?.extensions);
      assert.ok(
        codes.some((c) => c === undefined) &&
          codes.some((c) => c?.code === 'UNAVAILABLE' && c.reason === 'ledger_run_in_progress'),
        `${a.text} ${b.text}`,
      );
      // Afterwards, runs are accepted again.
      assert.equal((await ok('{ verifyLedger { ok } }')).verifyLedger.ok, true);
    });

    it('refused before any work without a token, without a ledger scope, and for a bad position', async () => {
      const none = await server.fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ verifyLedger { ok } }' }),
      });
      assert.equal(none.status, 401);
      assert.equal((await none.json()).errors[0].extensions.code, 'UNAUTHENTICATED');
      const forbidden = await gql('{ verifyLedger { ok } }', {}, plain);
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      await refused('{ replayDigest(position: "12x") { digest } }', {}, 'BAD_USER_INPUT');
      // Two runs in one document cost more than the limit: refused before either runs.
      await refused('{ a: verifyLedger { ok } b: verifyLedger { ok } }', {}, 'QUERY_TOO_COMPLEX');
    });
  });

  describe('GET /ledger/export', () => {
    it('streams what `token-ledger export` writes, as an attachment, with a ledger token only', async () => {
      await listenOnIssuerPort(server);
      const url = `${server.url}/ledger/export`;
      const none = await fetch(url);
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="token-ledger"');
      const bad = await fetch(url, { headers: { authorization: `Bearer ${admin}x` } });
      assert.equal(bad.status, 401);
      assert.match(bad.headers.get('www-authenticate')!, /^Bearer realm="token-ledger", error="invalid_token"/);
      const noScope = await fetch(url, { headers: { authorization: `Bearer ${plain}` } });
      assert.equal(noScope.status, 403);
      assert.match(
        noScope.headers.get('www-authenticate')!,
        /error="insufficient_scope", scope="ledger:audit ledger:admin"/,
      );

      const res = await fetch(url, { headers: { authorization: `Bearer ${audit}` } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.match(res.headers.get('content-type')!, /^application\/x-ndjson/);
      assert.match(res.headers.get('content-disposition')!, /^attachment; filename="token-ledger-[0-9TZ-]+\.ndjson"$/);
      const body = await res.text();
      const dir = tempDir();
      try {
        const out = join(dir, 'export.ndjson');
        const cli = await runCli(['export', '--out', out], server.env);
        assert.equal(cli.code, 0, cli.stderr);
        assert.equal(body, readFileSync(out, 'utf8'));
      } finally {
        removeDir(dir);
      }
      assert.equal(body.trim().split('\n').length, Number(await ledgerHead(server)));
    });
  });
});
