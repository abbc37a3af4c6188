/**
 * SIGKILL of an instance sharing a PostgreSQL ledger, under concurrent issuance and revocation on it
 * and on a second instance, several times: no acknowledged write is lost (every 200 is in the
 * ledger), and the survivors' answers equal those of an instance that rebuilt its views from zero.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import {
  cliClient,
  serverEnv,
  signal,
  spawnServer,
  type ServerEnv,
  type ServerProcess,
} from '../helpers/faultsServer.js';
import { driveLoad, Journal, reconcile } from '../helpers/faultsJournal.js';
import { removeDir } from '../helpers/server.js';
import { sha256 } from '../../src/crypto/hash.js';
import { createTestDatabase, postgresSkip, type TestDatabase } from './database.js';
import { issue, timeUntil } from './outageLoad.js';

const KILL_CYCLES = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SIGKILL of an instance on a PostgreSQL ledger', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  const envs: ServerEnv[] = [];
  const servers: (ServerProcess | undefined)[] = [];

  before(async () => {
    db = await createTestDatabase();
    for (let i = 0; i < 3; i++) envs.push({ ...(await serverEnv()), DATABASE_URL: db.url });
    servers.push(await spawnServer(envs[0]));
    servers.push(await spawnServer(envs[1]));
  });
  after(async () => {
    for (const s of servers) if (s) await signal(s, 'SIGKILL');
    for (const env of envs) removeDir(env.DATA_DIR);
    await db?.drop();
  });

  it(`loses no acknowledged write over ${KILL_CYCLES} SIGKILLs, and the survivors' views equal a rebuild`, async () => {
    const svc = await cliClient(envs[0], 'svc', 'orders:read');
    const rs = await cliClient(envs[0], 'rs', '');
    const journal = new Journal();
    for (const s of servers)
      await timeUntil(async () => (await issue(s!.url, svc)).status === 200, 10_000, 'the client is in every instance');
    const restartMs: number[] = [];
    for (let cycle = 0; cycle < KILL_CYCLES; cycle++) {
      const onA = driveLoad(servers[0]!.url, svc, journal, { concurrency: 4 });
      const onB = driveLoad(servers[1]!.url, svc, journal, { concurrency: 2 });
      await sleep(300 + Math.floor(Math.random() * 700));
      await signal(servers[0]!, 'SIGKILL');
      await onA.stop();
      await onB.stop();
      const t0 = Date.now();
      servers[0] = await spawnServer(envs[0]);
      restartMs.push(Date.now() - t0);
    }
    assert.deepEqual(journal.unexpected, [], 'every answer was a 200, a 503 with Retry-After, or a dropped connection');

    const hashes = async (type: string) =>
      new Set(
        (await db.sql<{ h: string }>(`SELECT data->>'tokenHash' AS h FROM events WHERE type = $1`, [type])).map(
          (r) => r.h,
        ),
      );
    const issuedInLedger = await hashes('AccessTokenIssued');
    const revokedInLedger = await hashes('TokenRevoked');
    assert.deepEqual(
      journal.issued.filter((t) => !issuedInLedger.has(sha256(t))),
      [],
      'acknowledged issuances missing from the ledger',
    );
    assert.deepEqual(
      [...journal.revokeAcked].filter((t) => !revokedInLedger.has(sha256(t))),
      [],
      'acknowledged revocations missing from the ledger',
    );

    // A third instance with an empty DATA_DIR builds every view from the first event.
    const t0 = Date.now();
    servers.push(await spawnServer(envs[2]));
    const rebuildMs = Date.now() - t0;
    const [a, b, rebuilt] = await Promise.all(servers.map((s) => reconcile(s!.url, rs, journal.issued, journal, 4)));
    for (const [name, r] of [
      ['A (killed and restarted)', a],
      ['B', b],
      ['rebuilt', rebuilt],
    ] as const) {
      assert.deepEqual(r.lost, [], `${name}: acknowledged tokens lost`);
      assert.deepEqual(r.resurrected, [], `${name}: acknowledged revocations undone`);
    }
    // Each test instance has its own ISSUER (its own port), and introspection names the answering one.
    const claims = (answer: unknown) => ({ ...(answer as object), iss: undefined });
    const differing = (r: typeof a) =>
      [...r.answers]
        .filter(([t, answer]) => !isDeepStrictEqual(claims(answer), claims(rebuilt.answers.get(t))))
        .map(([t, answer]) => ({ answer, rebuilt: rebuilt.answers.get(t) }));
    assert.deepEqual(differing(a), [], 'A answers as views rebuilt from zero do');
    assert.deepEqual(differing(b), [], 'B answers as views rebuilt from zero do');
    console.log(
      `# ${KILL_CYCLES} SIGKILLs: ${journal.issued.length} issuances and ${journal.revokeAcked.size} revocations acknowledged, all in the ledger; ` +
        `${journal.unanswered} requests cut off, ${journal.refused} refused (503); restart to ready ${restartMs.join(', ')} ms; rebuild from zero to ready ${rebuildMs} ms; ` +
        `${a.checked} tokens answered identically by A, B and the rebuilt instance`,
    );
  });
});
