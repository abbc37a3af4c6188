/** Security events with context (docs/audit-security-events.md): what each page and endpoint writes, and no more. */
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Browser, type Page } from '../helpers/browser.js';
import { createUser } from '../helpers/flow.js';
import { readFileSync } from 'node:fs';
import { basic, clientCredentialsToken, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';
import { normaliseUsername } from '../../src/domain/users/decide.js';
import { throttleStream } from '../../src/domain/throttle/streams.js';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) SecurityEventsTest/1.0';
const redirectUri = 'https://app.example/cb';
const query = (clientId: string) =>
  new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    state: 's',
  });

/** A browser at `ip` with a user agent: what the events' context is made of. */
const browserAt = (server: TestServer, ip: string) =>
  new Browser((url, init = {}) =>
    server.fetch(url, { ...init, headers: { ...(init.headers as object), 'user-agent': UA, 'x-forwarded-for': ip } }),
  );

async function since(server: TestServer, position: bigint) {
  return (await server.runtime.store.readAll(position, 1000)).map((e) => ({
    type: e.type,
    stream: e.stream,
    data: e.data as Record<string, unknown>,
  }));
}

/** The same keyed hash the login throttle counts a username under. */
/** What an auditor (or anyone with the store) can read. */
const rawText = async (server: TestServer, after = 0n) =>
  JSON.stringify(
    (await server.runtime.store.readAll(after, 100_000)).map((e) => ({ s: e.stream, d: e.data, m: e.metadata })),
  );

const accountHash = (secret: string, username: string) => {
  const key = createHmac('sha256', secret).update('token-ledger login throttle').digest();
  return createHmac('sha256', key).update(normaliseUsername(username)).digest('base64url');
};

async function start(env: Record<string, string> = {}) {
  const server = await startInjectServer({ env: { TRUST_PROXY: 'true', ...env } });
  const client = await registerClient(server, {
    grant_types: ['authorization_code'],
    redirect_uris: [redirectUri],
    scope: 'openid',
  });
  return { server, clientId: client.clientId, secret: client.secret! };
}

describe('security events: logins, consent, logouts (SECURITY_EVENTS_ADDRESS=truncate, the default)', () => {
  let server: TestServer;
  let clientId: string;
  before(async () => {
    ({ server, clientId } = await start());
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const loginPage = (browser: Browser) => browser.get(`${server.url}/authorize?${query(clientId)}`);
  const submit = (browser: Browser, page: Page, fill: Record<string, string>) =>
    browser.submit(`${server.url}/authorize`, page, fill);

  it('a failed login with an unknown username: LoginFailed with the keyed hash, never the name', async () => {
    const browser = browserAt(server, '203.0.113.77');
    const page = await loginPage(browser);
    const head = await ledgerHead(server);
    const typed = 'Tr0ub4dor&3-typed-in-the-wrong-field';
    const res = await submit(browser, page, { username: typed, password: 'whatever' });
    assert.equal(res.status, 401);
    const account = accountHash(server.runtime.keyEncryptionSecret, typed);
    const events = await since(server, head);
    assert.deepEqual(events, [
      {
        type: 'LoginFailed',
        stream: throttleStream({ scope: 'login', tier: 'pair', subject: `${account} 203.0.113.77` }),
        data: {
          reason: 'unknown_user',
          account,
          clientId,
          context: { address: '203.0.113.0/24', userAgent: UA },
        },
      },
    ]);
    const raw = await rawText(server);
    assert.ok(!raw.includes(typed), 'the typed username is nowhere in the ledger');
    assert.ok(!raw.toLowerCase().includes(typed.toLowerCase()), 'not even normalised');
  });

  it('a wrong password for a known user: LoginFailed naming the sub', async () => {
    const user = await createUser(server);
    const browser = browserAt(server, '2001:db8:aaaa:bbbb::1');
    const page = await loginPage(browser);
    const head = await ledgerHead(server);
    assert.equal((await submit(browser, page, { username: user.username, password: 'wrong' })).status, 401);
    const events = await since(server, head);
    assert.equal(events.length, 1);
    assert.deepEqual(events[0].data, {
      reason: 'invalid_password',
      sub: user.sub,
      clientId,
      context: { address: '2001:db8:aaaa::/48', userAgent: UA },
    });
  });

  it('a login, consent denied, then consent given and logout: one event each, beside the facts they go with', async () => {
    const user = await createUser(server);
    const browser = browserAt(server, '198.51.100.23');
    const context = { address: '198.51.100.0/24', userAgent: UA };
    let page = await loginPage(browser);
    let head = await ledgerHead(server);
    const consent = await submit(browser, page, { username: user.username, password: user.password });
    assert.equal(consent.status, 200);
    let events = await since(server, head);
    assert.deepEqual(
      events.map((e) => e.type),
      ['SessionStarted', 'LoginSucceeded'],
    );
    assert.equal(events[1].stream, events[0].stream, 'in the session stream, in the same append');
    const sidHash = events[0].data.sidHash;
    assert.deepEqual(events[1].data, { sub: user.sub, clientId, sidHash, context });

    head = await ledgerHead(server);
    const denied = await submit(browser, consent, { decision: 'deny' });
    assert.equal(denied.status, 303);
    events = await since(server, head);
    assert.deepEqual(
      events.map((e) => [e.type, e.data]),
      [['ConsentDenied', { sub: user.sub, clientId, scope: 'openid', context }]],
    );

    page = await loginPage(browser);
    head = await ledgerHead(server);
    const approved = await submit(browser, page, { decision: 'approve' });
    assert.equal(approved.status, 303);
    events = await since(server, head);
    assert.deepEqual(
      events.filter((e) => e.type !== 'AuthorizationCodeIssued').map((e) => e.type),
      ['AuthorizationGranted', 'ConsentGiven'],
    );
    assert.deepEqual(events[1].data, { sub: user.sub, clientId, scope: 'openid', context });

    head = await ledgerHead(server);
    const out = await browser.get(`${server.url}/logout?client_id=${encodeURIComponent(clientId)}`);
    const confirmed = await browser.submit(`${server.url}/logout`, out, { decision: 'confirm' });
    assert.equal(confirmed.status, 200);
    events = await since(server, head);
    assert.deepEqual(
      events.map((e) => [e.type, e.data]),
      [
        ['SessionEnded', { sidHash, reason: 'RP-initiated logout' }],
        ['LoggedOut', { sidHash, sub: user.sub, reason: 'RP-initiated logout', clientId, context }],
      ],
    );
  });

  it('a flood of 200 wrong passwords on one username and address writes exactly freeFailures + 1 events', async () => {
    const user = await createUser(server);
    const browser = browserAt(server, '192.0.2.200');
    const page = await loginPage(browser);
    const head = await ledgerHead(server);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const res = await submit(browser, page, { username: user.username, password: `guess-${i}` });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(statuses), { 401: 5, 429: 195 });
    const events = await since(server, head);
    // Pair tier: 5 free failures, the 5th starts the first block (recorded as it is counted, so just before that
    // failure's own event); the 195 refused while it lasts write nothing.
    assert.deepEqual(
      events.map((e) => e.type),
      ['LoginFailed', 'LoginFailed', 'LoginFailed', 'LoginFailed', 'LoginThrottled', 'LoginFailed'],
    );
    assert.equal(new Set(events.map((e) => e.stream)).size, 1, "all in the throttle stream of the pair's key");
    const metrics = await (await server.fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /security_events_total\{type="LoginRefused",outcome="refused"\} 195/);
    assert.match(metrics, /security_events_total\{type="LoginSucceeded",outcome="success"\} 1/);
  });

  it('GraphQL securityEvents, with the query of docs/audit-security-events.md, lists them from the view', async () => {
    const doc = readFileSync(new URL('../../../docs/audit-security-events.md', import.meta.url), 'utf8');
    const query = /<!-- secevents:query -->\n```graphql\n([\s\S]*?)```/.exec(doc)![1];
    const admin = (await clientCredentialsToken(server, 'ledger:audit')).token;
    const gql = async (q: string, variables: Record<string, unknown>) => {
      const res = await server.fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({ query: q, variables }),
      });
      return (await res.json()) as { data?: any; errors?: unknown };
    };
    const res = await gql(query, { clientId });
    assert.equal(res.errors, undefined, JSON.stringify(res));
    const nodes = res.data.securityEvents.edges.map((e: { node: { type: string; data: any } }) => e.node);
    // Unknown user, wrong password, and the flood's 5.
    assert.equal(nodes.length, 7);
    assert.ok(nodes.every((n: { type: string }) => n.type === 'LoginFailed'));
    const bySub = await gql(
      'query($sub: String) { securityEvents(sub: $sub, first: 2) { edges { node { type } } pageInfo { hasNextPage } } }',
      { sub: nodes[1].data.sub },
    );
    assert.deepEqual(bySub.data.securityEvents, {
      edges: [{ node: { type: 'LoginFailed' } }],
      pageInfo: { hasNextPage: false },
    });
    const blocks = await gql('{ securityEvents(type: "LoginThrottled") { edges { node { data } } } }', {});
    assert.equal(blocks.data.securityEvents.edges.length, 1);
    const bad = await gql('{ securityEvents(after: "bm9wZQ") { edges { cursor } } }', {});
    assert.match(JSON.stringify(bad.errors), /invalid cursor/);
  });
});

describe('security events: failed client authentication', () => {
  for (const mode of ['hmac', 'full', 'none'] as const) {
    it(`wrong secret and unknown client at /token, SECURITY_EVENTS_ADDRESS=${mode}`, async () => {
      const { server, clientId } = await start({ SECURITY_EVENTS_ADDRESS: mode });
      try {
        const ip = '203.0.113.9';
        const headers = { 'user-agent': UA, 'x-forwarded-for': ip };
        const head = await ledgerHead(server);
        const cc = { grant_type: 'client_credentials' };
        const wrong = await postForm(server, '/token', cc, { ...basic(clientId, 'nope'), ...headers });
        assert.equal(wrong.status, 401);
        const unknown = await postForm(server, '/token', cc, { ...basic('no-such-client', 'nope'), ...headers });
        assert.equal(unknown.status, 401);
        const key = createHmac('sha256', server.runtime.keyEncryptionSecret)
          .update('token-ledger security event address')
          .digest();
        const address = {
          hmac: { address: `hmac:${createHmac('sha256', key).update(ip).digest('base64url')}` },
          full: { address: ip },
          none: {},
        }[mode];
        const stream = throttleStream({ scope: 'client', tier: 'ip', subject: ip });
        const context = { ...address, userAgent: UA };
        assert.deepEqual(await since(server, head), [
          {
            type: 'ClientAuthenticationFailed',
            stream,
            data: { reason: 'invalid_client', clientId, endpoint: '/token', context },
          },
          {
            type: 'ClientAuthenticationFailed',
            stream,
            data: { reason: 'unknown_client', endpoint: '/token', context },
          },
        ]);
        if (mode !== 'full') {
          const raw = await rawText(server, head);
          assert.ok(!raw.includes(ip), 'the address is not kept in clear');
        }
      } finally {
        await server.close();
        removeDir(server.dataDir);
      }
    });
  }
});

describe('security events: a block carries the count of attempts refused during the one before', () => {
  it('20 refused during the first block: the next block event says refused 20, and nothing else was written', async () => {
    const { server } = await start({
      THROTTLE_IP_FAILURES: '3',
      THROTTLE_BASE_DELAY_SECONDS: '1',
      THROTTLE_MAX_DELAY_SECONDS: '2',
    });
    try {
      const headers = { ...basic('nobody', 'nope'), 'x-forwarded-for': '192.0.2.99' };
      const cc = { grant_type: 'client_credentials' };
      const head = await ledgerHead(server);
      for (let i = 0; i < 3; i++) assert.equal((await postForm(server, '/token', cc, headers)).status, 401);
      for (let i = 0; i < 20; i++) assert.equal((await postForm(server, '/token', cc, headers)).status, 429);
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await postForm(server, '/token', cc, headers)).status, 401);
      const events = await since(server, head);
      assert.deepEqual(
        events.map((e) => [e.type, e.data.failures, e.data.refused]),
        [
          ['ClientAuthenticationFailed', undefined, undefined],
          ['ClientAuthenticationFailed', undefined, undefined],
          ['ClientAuthenticationThrottled', 3, undefined],
          ['ClientAuthenticationFailed', undefined, undefined],
          ['ClientAuthenticationThrottled', 4, 20],
          ['ClientAuthenticationFailed', undefined, undefined],
        ],
      );
    } finally {
      await server.close();
      removeDir(server.dataDir);
    }
  });
});
