/**
 * An instance cut off from PostgreSQL by a TCP proxy (every connection reset, new ones refused),
 * then reconnected, under issuance and revocation load: writes answer 503 temporarily_unavailable
 * with Retry-After while cut off, never a 200 for an unwritten event; introspection of earlier
 * tokens goes on from the views; the instance recovers by itself and catches up on a revocation
 * another instance wrote meanwhile. Recovery times are printed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  cliClient,
  post,
  serverEnv,
  signal,
  spawnServer,
  type ServerEnv,
  type ServerProcess,
} from '../helpers/faultsServer.js';
import { removeDir } from '../helpers/server.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.js';
import { createTestDatabase, postgresSkip, type TestDatabase } from './database.js';
import {
  assertAcknowledgedWritesKept,
  assertNo200Within,
  assertOnly200Or503,
  introspect,
  issue,
  startLoad,
  timeUntil,
} from './outageLoad.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('an instance cut off from PostgreSQL by the network', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  const envs: ServerEnv[] = [];
  const servers: ServerProcess[] = [];
  const logA: string[] = [];

  before(async () => {
    db = await createTestDatabase();
    const direct = new URL(db.url);
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    // A (through the proxy) creates the schema and keys first; B (direct) joins it.
    envs.push({
      ...(await serverEnv()),
      DATABASE_URL: viaProxy.toString(),
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'warn',
    });
    envs.push({ ...(await serverEnv()), DATABASE_URL: db.url });
    servers.push(await spawnServer(envs[0], {}, undefined, undefined, (line) => logA.push(line)));
    servers.push(await spawnServer(envs[1]));
  });
  after(async () => {
    proxy?.setMode('forward');
    for (const s of servers) {
      const killer = setTimeout(() => s.child.kill('SIGKILL'), 15_000);
      await signal(s, 'SIGTERM');
      clearTimeout(killer);
    }
    for (const env of envs) removeDir(env.DATA_DIR);
    await proxy?.close();
    await db?.drop();
  });

  it('answers writes 503 while cut off, reads from the views, and recovers and catches up by itself', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const svc = await cliClient(envs[1], 'svc', 'orders:read');
    const rs = await cliClient(envs[1], 'rs', '');
    // Both clients are in A's views before the cut (registered through B, delivered by NOTIFY).
    await timeUntil(async () => (await issue(a.url, svc)).status === 200, 10_000, 'A sees the client');

    const before: string[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await issue(a.url, svc);
      assert.equal(r.status, 200);
      before.push(r.token!);
    }
    const [revokedElsewhere, ...rest] = before as [string, ...string[]];
    const kept = rest.slice(0, 10); // read during the outage, never revoked
    const load = startLoad(a.url, svc, rest.slice(10));
    await pause(500);

    const cutAt = Date.now();
    proxy.setMode('refuse', true);
    // Written through B while A cannot see the database.
    assert.equal((await post(`${b.url}/revoke`, { token: revokedElsewhere }, svc)).status, 200);
    await pause(300);
    for (const token of kept)
      assert.deepEqual(
        await introspect(a.url, rs, token),
        { status: 200, active: true },
        'introspection answers from the views',
      );
    const refused = await issue(a.url, svc);
    assert.deepEqual([refused.status, refused.error, refused.retryAfter], [503, 'temporarily_unavailable', '1']);
    await pause(1500);
    const reopenAt = Date.now();
    proxy.setMode('forward');
    const duringOutage = assertNo200Within(load.outcomes, cutAt + 100, reopenAt);
    assert.ok(duringOutage > 0, 'the load ran during the outage');

    const writesBack = await timeUntil(
      async () => (await issue(a.url, svc)).status === 200,
      15_000,
      'A takes writes again',
    );
    const caughtUp = await timeUntil(
      async () => (await introspect(a.url, rs, revokedElsewhere)).active === false,
      15_000,
      'A sees the revocation made through B',
    );
    await pause(300);
    const outcomes = await load.stop();
    assertOnly200Or503(outcomes);
    const kept200 = await assertAcknowledgedWritesKept(db, a.url, rs, outcomes);
    const refusedCount = outcomes.filter((o) => o.status === 503).length;
    console.log(
      `# cut off ${reopenAt - cutAt} ms: ${outcomes.length} writes (${kept200.issued} issuances and ${kept200.revoked} revocations answered 200, all in the ledger; ${refusedCount} answered 503)`,
    );
    console.log(
      `# after reconnecting: writes accepted again in ${writesBack} ms, revocation through B seen on A ${writesBack + caughtUp} ms after`,
    );
    assert.ok(refusedCount > 0, 'some writes were refused while cut off');
    const listenerLines = logA.filter((l) => l.includes('ledger listener lost its connection'));
    assert.ok(listenerLines.length > 0, 'the lost LISTEN connection is in the server log');
    // The listener's own backoff (up to 5 s) may reopen it after the pool already took writes again.
    await timeUntil(
      async () => logA.some((l) => l.includes('ledger listener reconnected')),
      10_000,
      'the reconnection is in the server log',
    );
    const password = new URL(db.url).password;
    assert.ok(!password || !logA.some((l) => l.includes(password)), 'the log names no password');
  });
});
