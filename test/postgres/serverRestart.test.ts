/**
 * PostgreSQL itself stopped (fast shutdown: every connection closed by the server, new ones
 * refused) and started again under issuance and revocation load: while it is down writes answer 503
 * temporarily_unavailable with Retry-After, never a 200 for an unwritten event; introspection of
 * earlier tokens goes on from the views; the instance takes writes again by itself. Times printed.
 *
 * Restarting the server breaks every other test using it, so this file serialises itself rather
 * than relying on the test runner (`node --test` runs files in parallel on a machine with more
 * cores): it drops RESTART_MARKER, which makes
 * any test file that is about to create its database wait (database.ts), then waits until no other
 * live process holds a test database (database.ts registers each from before its creation until
 * after its drop; this worktree's or another's) and only then stops the server, for about two seconds. database.ts also
 * retries a creation refused by a server that went
 * down meanwhile. When other PostgreSQL tests keep running past the wait, the restart is skipped
 * (saying so) instead of breaking them; the proxy test (proxyOutage.test.ts) covers the same paths
 * without touching the server. Needs root and Debian's pg_ctlcluster for a cluster on loopback.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import {
  cliClient,
  serverEnv,
  signal,
  spawnServer,
  type ServerEnv,
  type ServerProcess,
} from '../helpers/faultsServer.js';
import { removeDir } from '../helpers/server.js';
import {
  adminUrl,
  createTestDatabase,
  databasesInUseElsewhere,
  postgresSkip,
  RESTART_MARKER,
  type TestDatabase,
} from './database.js';
import {
  assertAcknowledgedWritesKept,
  assertNo200Within,
  assertOnly200Or503,
  introspect,
  issue,
  startLoad,
  timeUntil,
} from './outageLoad.js';

const run = promisify(execFile);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DOWN_MS = 2000;
const OTHERS_WAIT_MS = 40_000;

/** The local cluster serving TEST_DATABASE_URL, as `pg_ctlcluster` names it, or why there is none. */
function localCluster(): { version: string; name: string } | string {
  if (postgresSkip) return postgresSkip;
  const url = new URL(adminUrl!);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(url.hostname))
    return 'TEST_DATABASE_URL is not a local server';
  if (process.getuid?.() !== 0) return 'restarting PostgreSQL needs root';
  let listing: string;
  try {
    listing = execFileSync('pg_lsclusters', ['-h'], { encoding: 'utf8' });
  } catch {
    return 'pg_lsclusters is missing (Debian postgresql-common)';
  }
  const port = url.port || '5432';
  const line = listing.split('\n').find((l) => l.split(/\s+/)[2] === port);
  if (!line) return `no local cluster on port ${port}`;
  const [version, name] = line.split(/\s+/) as [string, string];
  return { version, name };
}

const cluster = localCluster();

describe('PostgreSQL restarted under load', { skip: typeof cluster === 'string' ? cluster : undefined }, () => {
  const { version, name } = cluster as { version: string; name: string };
  let db: TestDatabase;
  let env: ServerEnv;
  let server: ServerProcess | undefined;
  let stopped = false;

  before(async () => {
    db = await createTestDatabase();
    env = { ...(await serverEnv()), DATABASE_URL: db.url, DATABASE_CONNECT_TIMEOUT_MS: '1000' };
    server = await spawnServer(env);
  });
  after(async () => {
    if (stopped) await run('pg_ctlcluster', [version, name, 'start']).catch(() => undefined);
    rmSync(RESTART_MARKER, { force: true });
    if (server) {
      const killer = setTimeout(() => server!.child.kill('SIGKILL'), 15_000);
      await signal(server, 'SIGTERM');
      clearTimeout(killer);
    }
    if (env) removeDir(env.DATA_DIR);
    await db?.drop();
  });

  it('answers writes 503 while the server is down, reads from the views, and recovers by itself', async (t) => {
    const a = server!;
    const svc = await cliClient(env, 'svc', 'orders:read');
    const rs = await cliClient(env, 'rs', '');
    await timeUntil(async () => (await issue(a.url, svc)).status === 200, 10_000, 'the client is in the views');
    const earlier: string[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await issue(a.url, svc);
      assert.equal(r.status, 200);
      earlier.push(r.token!);
    }
    const kept = earlier.slice(0, 10);

    writeFileSync(RESTART_MARKER, String(process.pid));
    const othersGone = await timeUntil(
      async () => {
        writeFileSync(RESTART_MARKER, String(process.pid)); // fresh: not taken for a crashed run's
        return databasesInUseElsewhere().length === 0;
      },
      OTHERS_WAIT_MS,
      'other PostgreSQL tests finished',
    ).catch(() => undefined);
    if (othersGone === undefined) {
      rmSync(RESTART_MARKER, { force: true });
      t.skip(
        `other PostgreSQL tests kept running for ${OTHERS_WAIT_MS / 1000} s: not restarting the server under them`,
      );
      return;
    }

    const load = startLoad(a.url, svc, earlier.slice(10));
    await pause(500);
    const stopAt = Date.now();
    stopped = true;
    await run('pg_ctlcluster', [version, name, 'stop', '-m', 'fast']);
    const downFrom = Date.now();
    let downTo = downFrom;
    let upAt = downFrom;
    try {
      for (const token of kept)
        assert.deepEqual(
          await introspect(a.url, rs, token),
          { status: 200, active: true },
          'introspection answers from the views',
        );
      const refused = await issue(a.url, svc);
      assert.deepEqual([refused.status, refused.error, refused.retryAfter], [503, 'temporarily_unavailable', '1']);
      await pause(Math.max(0, DOWN_MS - (Date.now() - downFrom)));
    } finally {
      downTo = Date.now();
      await run('pg_ctlcluster', [version, name, 'start']);
      stopped = false;
      upAt = Date.now();
      rmSync(RESTART_MARKER, { force: true });
    }
    const duringOutage = assertNo200Within(load.outcomes, downFrom, downTo);
    assert.ok(duringOutage > 0, 'the load ran while the server was down');

    const writesBack = await timeUntil(
      async () => (await issue(a.url, svc)).status === 200,
      15_000,
      'writes accepted again',
    );
    await pause(300);
    const outcomes = await load.stop();
    assertOnly200Or503(outcomes);
    const acked = await assertAcknowledgedWritesKept(db, a.url, rs, outcomes);
    const refusedCount = outcomes.filter((o) => o.status === 503).length;
    console.log(
      `# server stopped in ${downFrom - stopAt} ms, down ${downTo - downFrom} ms, started in ${upAt - downTo} ms; writes accepted again ${writesBack} ms after the start returned`,
    );
    console.log(
      `# ${outcomes.length} writes: ${acked.issued} issuances and ${acked.revoked} revocations answered 200 (all in the ledger), ${refusedCount} answered 503`,
    );
    assert.ok(refusedCount > 0, 'some writes were refused while the server was down');
  });
});
