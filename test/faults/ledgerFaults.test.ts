import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StoreUnavailableError, type NewEvent } from '../../src/eventsourcing/eventStore.js';
import { openEsdbEventStore } from '../../src/stores/esdb/esdbEventStore.js';
import { mintAccessToken } from '../../src/application/tokens.js';
import { tokenStream } from '../../src/domain/tokens/streams.js';
import { decideToken, initialTokenState } from '../../src/domain/tokens/decide.js';
import { clientsProjection } from '../../projections/clients.js';
import { failpointHooks } from '../helpers/writerFailpoints.js';
import { runNode, SERVER } from '../helpers/cli.js';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import { basic, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { deadPort, startTcpProxy } from '../helpers/tcpProxy.js';

type Auth = Record<string, string>;

const issue = (server: TestServer, auth: Auth) =>
  postForm(server, '/token', { grant_type: 'client_credentials' }, auth);
const revoke = (server: TestServer, auth: Auth, token: string) => postForm(server, '/revoke', { token }, auth);

function assertRefused(res: { status: number; headers: Headers; body: any; text: string }, what: string): void {
  assert.equal(res.status, 503, `${what}: ${res.status} ${res.text}`);
  assert.equal(res.headers.get('retry-after'), '1', `${what}: Retry-After`);
  assert.equal(res.body.error, 'temporarily_unavailable');
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: Math.round(performance.now() - t0) };
}

/**
 * The answers that must not depend on the ledger taking writes: introspection of an existing token,
 * discovery and JWKS, all served from the views. Returns the slowest, in ms.
 */
async function assertReadsWork(server: TestServer, rs: Auth, token: string, active: boolean): Promise<number> {
  const slowest: number[] = [];
  for (let i = 0; i < 3; i++) {
    const intro = await timed(() => postForm(server, '/introspect', { token }, rs));
    assert.equal(intro.value.status, 200);
    assert.equal(intro.value.body.active, active, 'introspection answers from the views');
    const disco = await timed(() => fetch(`${server.url}/.well-known/openid-configuration`));
    assert.equal(disco.value.status, 200);
    const jwks = await timed(() => fetch(`${server.url}/jwks`));
    assert.equal(jwks.value.status, 200);
    assert.ok(((await jwks.value.json()) as { keys: unknown[] }).keys.length > 0);
    slowest.push(intro.ms, disco.ms, jwks.ms);
  }
  return Math.max(...slowest);
}

/** A token's events built by the real decider, with their ids fixed: what a retried append sends again. */
async function tokenEvents(server: TestServer, clientId: string): Promise<{ stream: string; events: NewEvent[] }> {
  const rt = server.runtime;
  const client = rt.runner.view(clientsProjection).byId.get(clientId)!;
  const minted = await mintAccessToken(rt.ports, {
    client,
    sub: clientId,
    scope: '',
    aud: [rt.config.issuer],
    grantType: 'client_credentials',
  });
  const events = rt.ledger.toNewEvents(
    decideToken({ type: 'IssueAccessToken', token: minted.claims }, initialTokenState()),
    {
      actor: `client:${clientId}`,
      correlationId: randomUUID(),
    },
  );
  return { stream: tokenStream(minted.claims.jti), events };
}

/**
 * The same events appended again after the fault (as a caller that saw the refusal, or never saw
 * the answer, does): written once, and every repeat answered with the first append's position.
 */
async function assertRetriesWriteOnce(
  server: TestServer,
  attempt: { stream: string; events: NewEvent[] },
): Promise<void> {
  const store = server.runtime.store;
  const first = await store.append(attempt.stream, attempt.events, 'no_stream');
  const head = await ledgerHead(server);
  for (let i = 0; i < 3; i++) {
    const again = await store.append(attempt.stream, attempt.events, 'no_stream');
    assert.deepEqual(again, first, 'a repeated append is answered as the first one was');
  }
  assert.equal(await ledgerHead(server), head, 'repeats wrote nothing');
  const stream = await store.readStream(attempt.stream);
  assert.deepEqual(
    stream.map((e) => e.id),
    attempt.events.map((e) => e.id),
    'each event once',
  );
}

describe('ledger faults on the embedded store: refuse writes with 503, keep reading, recover alone', () => {
  let server: TestServer;
  let svcId: string;
  let svc: Auth;
  let rs: Auth;
  let diskFullFlag: string;

  before(async () => {
    // A failpoint of the writer thread (test/helpers/writerFailpoints.ts), injected through the store's options.
    const dataDir = join((await import('node:os')).tmpdir(), `tl-faults-${randomUUID()}`);
    diskFullFlag = join(dataDir, 'disk-is-full');
    server = await startTestServer({ dataDir, writerHooks: failpointHooks(`disk-full:${diskFullFlag}`) });
    const c = await registerClient(server, {});
    svcId = c.clientId;
    svc = basic(c.clientId, c.secret!);
    const r = await registerClient(server, { scope: '' });
    rs = basic(r.clientId, r.secret!);
  });

  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  it('a locked database: 503 + Retry-After after busy_timeout, reads unaffected, recovery without restart, retries write once', async () => {
    const token = (await issue(server, svc)).body.access_token as string;
    const before = await ledgerHead(server);
    const retried = await tokenEvents(server, svcId);
    // Another connection (a backup tool, a stuck second process) holds the write lock past busy_timeout.
    const locker = new Database(join(server.dataDir, 'ledger.sqlite'));
    locker.exec('BEGIN EXCLUSIVE');
    let refusedMs: number;
    let readMs: number;
    try {
      const writes = timed(() =>
        Promise.all([
          issue(server, svc),
          revoke(server, svc, token),
          server.runtime.store.append(retried.stream, retried.events, 'no_stream').catch((e: unknown) => e),
        ]),
      );
      readMs = await assertReadsWork(server, rs, token, true);
      const {
        value: [issued, revoked, appended],
        ms,
      } = await writes;
      refusedMs = ms;
      assertRefused(issued, 'issuance');
      assertRefused(revoked, 'revocation');
      assert.ok(appended instanceof StoreUnavailableError && /locked|busy/i.test(appended.message), String(appended));
      assert.equal(await ledgerHead(server), before, 'nothing was written');
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    // The lock is gone: the same server takes writes again.
    const recovered = await timed(() => issue(server, svc));
    assert.equal(recovered.value.status, 200);
    assert.equal((await revoke(server, svc, token)).status, 200);
    assert.equal((await postForm(server, '/introspect', { token }, rs)).body.active, false);
    await assertRetriesWriteOnce(server, retried);
    console.log(
      `locked database: issuance and revocation refused with 503 + Retry-After, the last after ${refusedMs} ms (each waiting group commit gives up after busy_timeout, 5000 ms), ` +
        `nothing written; reads meanwhile ≤ ${readMs} ms; first write after the lock 200 in ${recovered.ms} ms; a retried append with the same event ids written once`,
    );
  });

  it('a full disk: the write that does not fit is refused with 503, what was acknowledged stays, recovery without restart', async () => {
    const pool: string[] = [];
    for (let i = 0; i < 30; i++) pool.push((await issue(server, svc)).body.access_token);
    const retried = await tokenEvents(server, svcId);
    writeFileSync(diskFullFlag, '');
    let fitted = 0;
    let revocationsFitted = 0;
    let refusedRevocation: string | undefined;
    try {
      // The file may not grow; writes that still fit in its last pages are durable and get their 200.
      let refused: Awaited<ReturnType<typeof issue>> | undefined;
      for (let i = 0; i < 500 && !refused; i++) {
        const res = await issue(server, svc);
        if (res.status === 200) {
          fitted += 1;
          assert.equal((await postForm(server, '/introspect', { token: res.body.access_token }, rs)).body.active, true);
        } else refused = res;
      }
      assert.ok(refused, 'the ledger filled up');
      assertRefused(refused, 'issuance');
      const head = await ledgerHead(server);
      for (let i = 0; i < 5; i++) assertRefused(await issue(server, svc), 'issuance');
      // A revocation is smaller than an issuance and may still fit; each one that does is durable.
      for (let token = pool.pop(); token !== undefined && !refusedRevocation; token = pool.pop()) {
        const res = await revoke(server, svc, token);
        if (res.status === 200) {
          revocationsFitted += 1;
          assert.equal((await postForm(server, '/introspect', { token }, rs)).body.active, false);
        } else {
          assertRefused(res, 'revocation');
          refusedRevocation = token;
        }
      }
      assert.ok(refusedRevocation, 'a revocation was refused');
      const headAfter = await ledgerHead(server);
      assertRefused(await revoke(server, svc, refusedRevocation), 'revocation');
      assertRefused(await issue(server, svc), 'issuance');
      assert.equal(await ledgerHead(server), headAfter, 'refused writes wrote nothing');
      assert.ok(headAfter - head <= BigInt(revocationsFitted), 'only the revocations that fitted were written');
      const appended = await server.runtime.store
        .append(retried.stream, retried.events, 'no_stream')
        .catch((e: unknown) => e);
      assert.ok(appended instanceof StoreUnavailableError && /full/i.test(appended.message), String(appended));
      await assertReadsWork(server, rs, refusedRevocation, true);
    } finally {
      rmSync(diskFullFlag, { force: true });
    }
    // Space is back: the same server takes writes again, and the refused revocation can be retried.
    assert.equal((await issue(server, svc)).status, 200);
    assert.equal((await revoke(server, svc, refusedRevocation)).status, 200);
    assert.equal((await postForm(server, '/introspect', { token: refusedRevocation }, rs)).body.active, false);
    await assertRetriesWriteOnce(server, retried);
    console.log(
      `full disk (SQLite max_page_count pinned at the file's size): ${fitted} issuances still fitted and were acknowledged durably, ` +
        `then every issuance refused; ${revocationsFitted} revocations fitted, then revocations refused too; every refusal with 503 + Retry-After (SQLITE_FULL), nothing written; reads unaffected; writes resumed without restart`,
    );
  });
});

describe('EventStoreDB unreachable (through a loopback TCP proxy, nothing behind it)', () => {
  let nothing: number;
  before(async () => {
    nothing = await deadPort();
  });

  for (const mode of ['forward', 'refuse', 'blackhole', { delayMs: 300 }] as const) {
    const name = typeof mode === 'object' ? `delay ${mode.delayMs} ms` : mode;
    it(`the adapter refuses with StoreUnavailableError, in bounded time (proxy: ${name})`, async () => {
      const proxy = await startTcpProxy({ host: '127.0.0.1', port: nothing }, mode);
      try {
        const t0 = Date.now();
        await assert.rejects(
          openEsdbEventStore(`esdb://admin:changeit@127.0.0.1:${proxy.port}?tls=false`),
          (err: unknown) => {
            assert.ok(err instanceof StoreUnavailableError, String(err));
            assert.match(
              err.message,
              new RegExp(`^cannot open the EventStoreDB ledger at 127\\.0\\.0\\.1:${proxy.port}: `),
            );
            assert.doesNotMatch(err.message, /changeit|admin/);
            return true;
          },
        );
        const took = Date.now() - t0;
        assert.ok(took < 8_000, `gave up within 8 s (${took} ms)`);
        assert.ok(proxy.connections > 0, 'the adapter went through the proxy');
        console.log(
          `EventStoreDB through the proxy (${name}): refused after ${took} ms, ${proxy.connections} connection attempts`,
        );
      } finally {
        await proxy.close();
      }
    });
  }

  it('a server configured for it refuses to start (exit 1, one line, no credentials) rather than serve without a ledger', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: nothing }, 'blackhole');
    const dataDir = join((await import('node:os')).tmpdir(), `tl-faults-${randomUUID()}`);
    try {
      const ran = await runNode(SERVER, [], {
        DATA_DIR: dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
        ISSUER: 'http://127.0.0.1:1',
        LOG_LEVEL: 'silent',
        EVENTSTORE_CONNECTION_STRING: `esdb://admin:changeit@127.0.0.1:${proxy.port}?tls=false`,
      });
      assert.equal(ran.code, 1, ran.stderr);
      const lines = ran.stderr.trim().split('\n');
      assert.equal(lines.length, 1, ran.stderr);
      assert.match(lines[0], new RegExp(`127\\.0\\.0\\.1:${proxy.port}`));
      assert.doesNotMatch(ran.stderr, /changeit/);
      assert.ok(proxy.connections > 0);
    } finally {
      await proxy.close();
      removeDir(dataDir);
    }
  });
});
