import { randomUUID } from 'node:crypto';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeDir, startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { basic, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { Browser } from '../helpers/browser.js';
import { createUser } from '../helpers/flow.js';
import { clientsProjection } from '../../projections/clients.js';
import { throttlesProjection } from '../../projections/throttles.js';
import { handleClientCommand } from '../../src/application/clients.js';
import type { ClientMetadata } from '../../src/domain/clients/events.js';
import { hashClientSecret } from '../../src/security/clientSecrets.js';
import { scryptRuns } from '../../src/security/slowHash.js';

const cc = { grant_type: 'client_credentials' };
const from = (ip: string) => ({ 'x-forwarded-for': ip });

/** The records of single failed attempts (docs/audit-security-events.md): one per attempt the throttle admitted. */
const ATTEMPTS = new Set(['LoginFailed', 'ClientAuthenticationFailed']);

/** Events appended after `position`, but for the records of single failed attempts. */
async function appendedSince(server: TestServer, position: bigint) {
  return (await server.runtime.store.readAll(position, 1000)).filter((e) => !ATTEMPTS.has(e.type));
}

/** How many failed attempts were recorded after `position`. */
async function attemptsSince(server: TestServer, position: bigint) {
  return (await server.runtime.store.readAll(position, 1000)).filter((e) => ATTEMPTS.has(e.type)).length;
}

/** What an auditor reads of these events. */
const asText = (events: Awaited<ReturnType<typeof appendedSince>>) =>
  JSON.stringify(events.map((e) => ({ stream: e.stream, data: e.data, metadata: e.metadata })));

/** A failed client authentication: 401 invalid_client. */
async function fail(server: TestServer, clientId: string, headers: Record<string, string> = {}) {
  const res = await postForm(server, '/token', cc, { ...basic(clientId, 'wrong-secret'), ...headers });
  assert.equal(res.status, 401, res.text);
  assert.equal(res.body.error, 'invalid_client');
}

/** The exact answer to a blocked client or address, and nothing written. */
async function expectBlocked(
  server: TestServer,
  path: string,
  form: Record<string, string>,
  headers: Record<string, string>,
) {
  const head = await ledgerHead(server);
  const res = await postForm(server, path, form, headers);
  assert.equal(res.status, 429, res.text);
  const retryAfter = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After: ${res.headers.get('retry-after')}`);
  assert.deepEqual(res.body, {
    error: 'temporarily_unavailable',
    error_description: `too many failed client authentications; retry after ${retryAfter} second${retryAfter === 1 ? '' : 's'}`,
  });
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(await ledgerHead(server), head, 'a refused request writes nothing');
  return retryAfter;
}

/** Polls until `ok` holds; returns the milliseconds it took. */
async function eventually(what: string, ok: () => Promise<boolean>, limitMs = 5000): Promise<number> {
  const started = performance.now();
  while (!(await ok())) {
    if (performance.now() - started > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await sleep(25);
  }
  return performance.now() - started;
}

const tokenStatus = async (
  server: TestServer,
  clientId: string,
  secret: string,
  headers: Record<string, string> = {},
) => (await postForm(server, '/token', cc, { ...basic(clientId, secret), ...headers })).status;

describe('brute force: failed client authentication', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      env: {
        TRUST_PROXY: 'true',
        THROTTLE_CLIENT_FAILURES: '3',
        THROTTLE_IP_FAILURES: '5',
        THROTTLE_BASE_DELAY_SECONDS: '2',
        THROTTLE_MAX_DELAY_SECONDS: '2',
      },
    });
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  it('N failures, then 429 with Retry-After even for the right secret, at every endpoint; accepted after the block', async () => {
    const victim = await registerClient(server, {});
    const ip = from('192.0.2.10');
    const start = await ledgerHead(server);
    await fail(server, victim.clientId, ip);
    await fail(server, victim.clientId, ip);
    assert.equal(await attemptsSince(server, start), 2, 'failures below the limit: their own records only');
    assert.deepEqual(await appendedSince(server, start), []);
    await fail(server, victim.clientId, ip);
    const recorded = await appendedSince(server, start);
    assert.deepEqual(
      recorded.map((e) => [
        e.type,
        (e.data as { tier: string }).tier,
        (e.data as { subject: string }).subject,
        (e.data as { failures: number }).failures,
      ]),
      [['ClientAuthenticationThrottled', 'client', victim.clientId, 3]],
      'the block that starts is recorded once',
    );
    assert.ok(!asText(recorded).includes('wrong-secret') && !asText(recorded).includes(victim.secret!));
    assert.equal(recorded[0].metadata.actor, 'system');

    const right = { ...basic(victim.clientId, victim.secret!), ...ip };
    assert.equal(await expectBlocked(server, '/token', cc, right), 2);
    await expectBlocked(server, '/introspect', { token: 'x' }, right);
    await expectBlocked(server, '/revoke', { token: 'x' }, right);
    await expectBlocked(server, '/token', cc, { ...basic(victim.clientId, victim.secret!), ...from('198.51.100.200') });
    // Other clients at the same address are not held back by the client-wide block.
    const other = await registerClient(server, {});
    assert.equal(await tokenStatus(server, other.clientId, other.secret!, ip), 200);

    const waited = await eventually(
      'the right secret is accepted after the block',
      async () => (await tokenStatus(server, victim.clientId, victim.secret!, ip)) === 200,
    );
    console.log(`# client block lifted after ${waited.toFixed(0)} ms (THROTTLE_MAX_DELAY_SECONDS=2)`);
  });

  it('limits failures per IP across client ids, an IPv6 /64 counting as one address', async () => {
    const client = await registerClient(server, {});
    const start = await ledgerHead(server);
    for (let i = 0; i < 4; i++) await fail(server, `nobody-${i}`, from('2001:db8:1:2::10'));
    assert.deepEqual(
      await appendedSince(server, start),
      [],
      'unknown ids count per address only, and no block is written below the limit',
    );
    await fail(server, 'nobody-4', from('2001:db8:1:2:ffff::1'));
    const recorded = await appendedSince(server, start);
    assert.deepEqual(
      recorded.map((e) => [e.type, (e.data as { tier: string }).tier, (e.data as { subject: string }).subject]),
      [['ClientAuthenticationThrottled', 'ip', '2001:db8:1:2::/64']],
      'an attacker-chosen client id never reaches the ledger',
    );
    await expectBlocked(server, '/token', cc, {
      ...basic(client.clientId, client.secret!),
      ...from('2001:db8:1:2::abcd'),
    });
    assert.equal(
      await tokenStatus(server, client.clientId, client.secret!, from('2001:db8:1:3::10')),
      200,
      'another /64',
    );
    assert.equal(
      await tokenStatus(server, client.clientId, client.secret!, from('192.0.2.77')),
      200,
      'another address',
    );
  });

  it('public clients and disabled or unknown ids are never blocked per id', async () => {
    const spa = await registerClient(
      server,
      {
        grant_types: ['authorization_code'],
        redirect_uris: ['https://spa.example/cb'],
        token_endpoint_auth_method: 'none',
      },
      null,
    );
    const start = await ledgerHead(server);
    // Five addresses, one failure each: below every per-address limit.
    for (let i = 0; i < 5; i++) await fail(server, spa.clientId, from(`203.0.113.${i + 1}`));
    assert.deepEqual(await appendedSince(server, start), [], 'no block: a public client has no secret to guess');
    const res = await postForm(
      server,
      '/token',
      {
        grant_type: 'authorization_code',
        code: 'x',
        redirect_uri: 'https://spa.example/cb',
        code_verifier: 'v'.repeat(43),
        client_id: spa.clientId,
      },
      from('203.0.113.50'),
    );
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error, 'invalid_grant', 'the public client still reaches its grant');
  });
});

describe('brute force: an attacker cannot lock a real client out', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      env: {
        TRUST_PROXY: 'true',
        THROTTLE_CLIENT_FAILURES: '3',
        THROTTLE_IP_FAILURES: '1000000',
        THROTTLE_BASE_DELAY_SECONDS: '600',
        THROTTLE_MAX_DELAY_SECONDS: '900',
      },
    });
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  it('the client at an address it authenticated from keeps working while its id is blocked elsewhere', async () => {
    const victim = await registerClient(server, {});
    const home = from('198.51.100.7');
    assert.equal(await tokenStatus(server, victim.clientId, victim.secret!, home), 200);
    for (let i = 0; i < 10; i++) {
      const res = await postForm(server, '/token', cc, {
        ...basic(victim.clientId, `guess-${i}`),
        ...from(`203.0.113.${i + 1}`),
      });
      assert.ok([401, 429].includes(res.status), res.text);
    }
    const retryAfter = await expectBlocked(server, '/token', cc, {
      ...basic(victim.clientId, victim.secret!),
      ...from('203.0.113.200'),
    });
    assert.ok(retryAfter > 500 && retryAfter <= 900, `a new address waits, at most the cap: ${retryAfter} s`);
    for (let i = 0; i < 3; i++)
      assert.equal(
        await tokenStatus(server, victim.clientId, victim.secret!, home),
        200,
        'the trusted pair is not locked out',
      );
  });
});

describe('brute force: limits off', () => {
  it('THROTTLE_CLIENT_FAILURES and THROTTLE_IP_FAILURES of 1000000 never block, and write nothing', async () => {
    const server = await startTestServer({
      env: { THROTTLE_CLIENT_FAILURES: '1000000', THROTTLE_IP_FAILURES: '1000000' },
    });
    try {
      const client = await registerClient(server, {});
      const start = await ledgerHead(server);
      for (let i = 0; i < 30; i++) await fail(server, client.clientId);
      assert.equal(await tokenStatus(server, client.clientId, client.secret!), 200);
      assert.equal((await appendedSince(server, start)).length, 1, 'only the issued token, and no block');
      assert.equal(await attemptsSince(server, start), 30, 'and a record of each failed attempt');
    } finally {
      await server.close();
      removeDir(server.dataDir);
    }
  });
});

describe('brute force: blocks are shared by instances on one ledger', () => {
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    const dataDir = tempDir();
    const env = {
      TRUST_PROXY: 'true',
      THROTTLE_CLIENT_FAILURES: '3',
      THROTTLE_IP_FAILURES: '1000000',
      THROTTLE_LOGIN_FAILURES: '2',
      THROTTLE_BASE_DELAY_SECONDS: '2',
      THROTTLE_MAX_DELAY_SECONDS: '4',
    };
    a = await startTestServer({ dataDir, env });
    b = await startTestServer({ dataDir, env });
  });
  after(async () => {
    await a.close();
    await b.close();
    removeDir(a.dataDir);
  });

  // A success trusts its (client, address) pair, which the client-wide block then spares: every
  // probe with the right secret comes from an address not used before.
  let n = 0;
  const fresh = () => from(`192.0.2.${++n}`);
  const probe = (server: TestServer, client: { clientId: string; secret: string | null }) =>
    tokenStatus(server, client.clientId, client.secret!, fresh());

  it('a block started on one instance is honoured by the other, and the escalation continues there', async () => {
    const client = await registerClient(a, {});
    await eventually('instance b sees the client', async () =>
      b.runtime.runner.view(clientsProjection).byId.has(client.clientId),
    );
    for (let i = 0; i < 3; i++) await fail(a, client.clientId, from('203.0.113.1'));
    const lag = await eventually(
      'instance b refuses the blocked client',
      async () => (await probe(b, client)) === 429,
      1500,
    );
    console.log(`# block honoured by the second instance after ${lag.toFixed(0)} ms (includes one request)`);
    await expectBlocked(b, '/token', cc, { ...basic(client.clientId, client.secret!), ...fresh() });

    // After the block, b continues from a's count: its first failure blocks again, for twice as long.
    await eventually('the block ends on b', async () => (await probe(b, client)) !== 429, 5000);
    const head = await ledgerHead(b);
    await fail(b, client.clientId, from('203.0.113.2'));
    const recorded = (await appendedSince(b, head)).filter((e) => e.type === 'ClientAuthenticationThrottled');
    assert.equal(recorded.length, 1, 'the next failure on b starts a block at once');
    assert.equal((recorded[0].data as { failures: number }).failures, 4);
    assert.equal(
      await expectBlocked(b, '/token', cc, { ...basic(client.clientId, client.secret!), ...fresh() }),
      4,
      'doubled',
    );
    await eventually('instance a refuses too', async () => (await probe(a, client)) === 429, 1500);
  });

  it('a login block started on one instance holds on the other (the username keyed the same way)', async () => {
    const user = await createUser(a, `bob-${n}`);
    const spa = await registerClient(
      a,
      {
        grant_types: ['authorization_code'],
        redirect_uris: ['https://spa.example/cb'],
        token_endpoint_auth_method: 'none',
      },
      null,
    );
    await eventually('instance b sees the client', async () =>
      b.runtime.runner.view(clientsProjection).byId.has(spa.clientId),
    );
    const query = new URLSearchParams({
      client_id: spa.clientId,
      redirect_uri: 'https://spa.example/cb',
      response_type: 'code',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const onA = new Browser();
    let page = await onA.get(`${a.url}/authorize?${query}`);
    for (const password of ['wrong', 'wrong again']) {
      page = await onA.submit(a.url, page, { username: user.username, password });
      assert.equal(page.status, 401);
    }
    // Submitting the right password before the block reaches b would log in: wait for b's view first.
    const lag = await eventually(
      'the block reaches b',
      async () =>
        [...b.runtime.runner.view(throttlesProjection).blocks.keys()].some((k) => k.startsWith('login/pair/')),
      1500,
    );
    console.log(`# login block in the second instance's view after ${lag.toFixed(0)} ms`);
    const onB = new Browser();
    const login = await onB.get(`${b.url}/authorize?${query}`);
    const answer = await onB.submit(b.url, login, { username: user.username, password: user.password });
    assert.equal(answer.status, 429);
    assert.match(answer.html, /Too many attempts\. Try again in \d+ seconds\./);
  });
});

describe('brute force: the login page', () => {
  let server: TestServer;
  let alice: { username: string; password: string };
  const redirectUri = 'https://spa.example/cb';
  let spa: { clientId: string };
  before(async () => {
    server = await startTestServer({ env: { THROTTLE_LOGIN_FAILURES: '2' } });
    alice = await createUser(server, 'alice');
    spa = await registerClient(
      server,
      { grant_types: ['authorization_code'], redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' },
      null,
    );
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  it('THROTTLE_LOGIN_FAILURES wrong passwords, then a delay and a message even for the right one; the block is recorded without the name', async () => {
    const browser = new Browser();
    const query = {
      client_id: spa.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state: 's',
    };
    let page = await browser.get(`${server.url}/authorize?${new URLSearchParams(query)}`);
    const start = await ledgerHead(server);
    page = await browser.submit(server.url, page, { username: 'alice', password: 'wrong' });
    assert.equal(page.status, 401);
    assert.deepEqual(await appendedSince(server, start), [], 'a failure below the limit writes its own record only');
    page = await browser.submit(server.url, page, { username: 'alice', password: 'wrong again' });
    assert.equal(page.status, 401);
    const recorded = await appendedSince(server, start);
    assert.deepEqual(
      recorded.map((e) => [e.type, (e.data as { tier: string }).tier]),
      [['LoginThrottled', 'pair']],
    );
    const subject = (recorded[0].data as { subject: string }).subject;
    assert.match(subject, /^[A-Za-z0-9_-]{43} 127\.0\.0\.1$/, 'a keyed hash of the username, and the address');
    assert.ok(!asText(recorded).includes('alice') && !asText(recorded).includes('wrong'));

    const head = await ledgerHead(server);
    page = await browser.submit(server.url, page, { username: alice.username, password: alice.password });
    assert.equal(page.status, 429);
    const retryAfter = Number(page.headers.get('retry-after'));
    assert.ok(retryAfter > 50 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.match(page.html, new RegExp(`Too many attempts\\. Try again in ${retryAfter} seconds\\.`));
    assert.equal(page.location, null, 'no session, no code');
    assert.equal(await ledgerHead(server), head);
  });
});

/** Polls (every 5 ms) until `ok` holds, failing after `limitMs`. */
async function until(what: string, ok: () => boolean, limitMs = 20_000): Promise<void> {
  const started = performance.now();
  while (!ok()) {
    if (performance.now() - started > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await sleep(5);
  }
}

const tally = (statuses: number[]) =>
  statuses.reduce<Record<number, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});

describe('brute force: parallel guesses get no more checks than sequential ones', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      env: {
        THROTTLE_LOGIN_FAILURES: '5',
        THROTTLE_CLIENT_FAILURES: '3',
        THROTTLE_BASE_DELAY_SECONDS: '60',
        THROTTLE_MAX_DELAY_SECONDS: '60',
      },
    });
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  it('/login: 39 simultaneous wrong passwords and then the right one: 5 checks (the sequential limit), and the right one is refused', async () => {
    const user = await createUser(server, 'parallel-alice');
    const spa = await registerClient(
      server,
      {
        grant_types: ['authorization_code'],
        redirect_uris: ['https://spa.example/cb'],
        token_endpoint_auth_method: 'none',
      },
      null,
    );
    const query = new URLSearchParams({
      client_id: spa.clientId,
      redirect_uri: 'https://spa.example/cb',
      response_type: 'code',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const browser = new Browser();
    const page = await browser.get(`${server.url}/authorize?${query}`);
    const hashes = scryptRuns();
    const head = await ledgerHead(server);
    const wrong = Array.from({ length: 39 }, (_, i) =>
      browser.submit(server.url, page, { username: user.username, password: `wrong-${i}` }),
    );
    // The right password arrives once the sequential limit's worth of checks is under way.
    await until('five password checks started', () => scryptRuns() - hashes >= 5);
    const right = await browser.submit(server.url, page, { username: user.username, password: user.password });
    const answers = await Promise.all(wrong);
    assert.equal(scryptRuns() - hashes, 5, 'the slow hash ran exactly THROTTLE_LOGIN_FAILURES times');
    assert.deepEqual(tally(answers.map((a) => a.status)), { 401: 5, 429: 34 });
    assert.equal(right.status, 429, 'the right password, after the budget, does not win');
    assert.equal(right.location, null, 'no session, no code');
    assert.ok(Number(right.headers.get('retry-after')) >= 1);
    for (const a of answers.filter((x) => x.status === 429)) assert.ok(Number(a.headers.get('retry-after')) >= 1);
    const recorded = await appendedSince(server, head);
    assert.deepEqual(
      recorded.map((e) => [e.type, (e.data as { tier: string }).tier, (e.data as { failures: number }).failures]),
      [['LoginThrottled', 'pair', 5]],
      'one block, nothing else written',
    );
    assert.equal(await attemptsSince(server, head), 5, 'and the 5 admitted failures, not the 34 refused');
  });

  for (const [path, form] of [
    ['/token', cc],
    ['/introspect', { token: 'x' }],
    ['/revoke', { token: 'x' }],
  ] as const) {
    it(`${path}: 60 simultaneous wrong chosen secrets: 3 checks (the sequential limit), 401 invalid_client for them, 429 with Retry-After for the rest`, async () => {
      const client = await registerChosenSecretClient(server);
      const hashes = scryptRuns();
      const head = await ledgerHead(server);
      const wrong = Array.from({ length: 60 }, (_, i) =>
        postForm(server, path, form, basic(client.clientId, `wrong-${i}`)),
      );
      await until('three secret checks started', () => scryptRuns() - hashes >= 3);
      const right = await postForm(server, path, form, basic(client.clientId, client.secret));
      const answers = await Promise.all(wrong);
      assert.equal(scryptRuns() - hashes, 3, 'the slow hash ran exactly THROTTLE_CLIENT_FAILURES times');
      assert.deepEqual(tally(answers.map((a) => a.status)), { 401: 3, 429: 57 });
      for (const a of answers) {
        if (a.status === 401) {
          assert.equal(a.body.error, 'invalid_client');
          assert.match(a.headers.get('www-authenticate') ?? '', /^Basic /);
        } else {
          assert.equal(a.body.error, 'temporarily_unavailable');
          assert.ok(Number(a.headers.get('retry-after')) >= 1, `Retry-After: ${a.headers.get('retry-after')}`);
        }
      }
      assert.equal(right.status, 429, 'the right secret, after the budget, does not win');
      assert.equal(right.body.error, 'temporarily_unavailable');
      const recorded = await appendedSince(server, head);
      assert.deepEqual(
        recorded.map((e) => [e.type, (e.data as { tier: string }).tier, (e.data as { failures: number }).failures]),
        [['ClientAuthenticationThrottled', 'client', 3]],
        'one block, nothing else written',
      );
      assert.equal(await attemptsSince(server, head), 3, 'and the 3 admitted failures, not the 57 refused');
    });
  }
});

/** A confidential client whose secret the operator chose: stored as scrypt, so each check is a slow hash. */
async function registerChosenSecretClient(server: TestServer): Promise<{ clientId: string; secret: string }> {
  const clientId = `chosen-${randomUUID().slice(0, 8)}`;
  const secret = `chosen secret ${randomUUID()}`;
  const metadata: ClientMetadata = {
    grant_types: ['client_credentials'],
    redirect_uris: [],
    scope: 'orders:read',
    token_endpoint_auth_method: 'client_secret_basic',
    access_token_format: 'jwt',
    access_token_signing_alg: 'ES256',
    access_token_ttl: 3600,
  };
  await handleClientCommand(
    server.runtime.ports,
    { type: 'RegisterClient', clientId, metadata, secret: await hashClientSecret(secret, false) },
    { actor: 'operator:test', correlationId: randomUUID() },
  );
  return { clientId, secret };
}
