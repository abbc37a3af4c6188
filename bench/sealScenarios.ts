/**
 * What the sealed ledger costs (docs/audit-seals.md): the Merkle frontier's bookkeeping per event (in process, the
 * view's own apply), one seal's signature, and client-credentials issuance on a server sealing every second against
 * the same server with sealing off (SEAL_INTERVAL_SECONDS=0: no frontier at all, the server as before seals).
 * Target: issuance with sealing on within 5 % of sealing off. `-- --seals-only` runs these rows alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { MerkleFrontier } from '../projections/merkleFrontier.js';
import { signSeal } from '../src/application/seals.js';
import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import {
  cleanUpOnInterrupt,
  freePorts,
  launchOurs,
  oauthTimings,
  ourEnv,
  post,
  runCli,
  stopChild,
  type Side,
} from './oauthScenarios.js';
import { runLoad } from './httpLoad.js';
import { cells, fmt, fromLoad, printTable } from './table.js';

const SECRET = 'bench-seals-secret-0123456789';

function frontierMicrosPerEvent(events: number): number {
  const frontier = new MerkleFrontier(undefined);
  const batch: RecordedEvent[] = [];
  for (let i = 1; i <= events; i++) {
    batch.push({
      id: randomUUID(),
      type: 'AccessTokenIssued',
      stream: `token-${i}`,
      revision: 0,
      position: BigInt(i),
      recordedAt: new Date(),
      data: {},
      metadata: {
        actor: 'bench',
        correlationId: '',
        causationId: null,
        schemaVersion: 1,
        prevHash: '',
        hash: randomBytes(32).toString('base64url'),
      },
    });
  }
  // Fed as the runner feeds it: batches of a few events.
  for (let i = 0; i < batch.length; i += 8) frontier.apply(batch.slice(i, i + 8));
  return Number(frontier.cost.ns) / 1000 / frontier.cost.leaves;
}

async function sealSignMicros(): Promise<number> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const payload = { treeSize: 1, rootHash: 'r'.repeat(43), sealedAt: new Date().toISOString() };
  await signSeal(payload, 'k', privateKey);
  const n = 200;
  const started = performance.now();
  for (let i = 0; i < n; i++) await signSeal(payload, 'k', privateKey);
  return ((performance.now() - started) * 1000) / n;
}

async function issuance(quick: boolean, sealSeconds: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tl-bench-seals-'));
  const released = cleanUpOnInterrupt(dataDir);
  let child: ChildProcess | undefined;
  try {
    const [port] = await freePorts(1);
    const env = { ...ourEnv(port, dataDir), SEAL_INTERVAL_SECONDS: sealSeconds };
    const created = await runCli(
      ['clients', 'create', '--client-id', 'bench', '--client-secret', SECRET, '--grant-types', 'client_credentials'],
      env,
    );
    if (created.code !== 0) throw new Error(`clients create: ${created.stderr.at(-1) ?? created.code}`);
    const side: Side = { name: 'ours', base: `http://127.0.0.1:${port}`, logTail: [] };
    child = await launchOurs(env, side);
    if (side.unavailable) throw new Error(side.unavailable);
    const target = {
      url: `${side.base}/token`,
      method: 'POST' as const,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`bench:${SECRET}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    };
    const check = await post(target.url, target.headers, target.body);
    if (check.status !== 200) throw new Error(`client credentials: ${JSON.stringify(check.json)}`);
    const { seconds, warmupSeconds } = oauthTimings(quick);
    await runLoad({ ...target, connections: 10, seconds: warmupSeconds });
    return await runLoad({ ...target, connections: 50, seconds });
  } finally {
    await stopChild(child);
    released();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function measureSeals(quick: boolean): Promise<void> {
  const events = quick ? 100_000 : 1_000_000;
  const perEvent = frontierMicrosPerEvent(events);
  const sign = await sealSignMicros();
  // Alternated, best of two each: whichever server runs first here is slower (a cold disk cache, the machine's
  // clock ramping up), which a single off-then-on pair reads as the cost (or gain) of sealing.
  const runs: Record<'off' | 'on', Awaited<ReturnType<typeof issuance>>[]> = { off: [], on: [] };
  for (let round = 0; round < 2; round++) {
    runs.off.push(await issuance(quick, '0'));
    runs.on.push(await issuance(quick, '1'));
  }
  const best = (list: typeof runs.off) => list.reduce((a, b) => (b.rps > a.rps ? b : a));
  const off = best(runs.off);
  const on = best(runs.on);
  console.log('\nSealed ledger (ours):');
  printTable(
    ['scenario', 'result', 'detail'],
    [
      ['Merkle frontier bookkeeping', `${fmt(perEvent, 2)} µs/event`, `${fmt(events)} events, batches of 8`],
      ['seal signature (ES256 JWS)', `${fmt(sign, 0)} µs/seal`, 'plus one append to the seal stream'],
    ],
  );
  printTable(
    ['client credentials, 50 conns (best of 2, alternated)', 'req/s', 'p50', 'p99', 'errors'],
    [
      ['sealing off (SEAL_INTERVAL_SECONDS=0)', ...cells(fromLoad(off))],
      ['sealing every second', ...cells(fromLoad(on))],
    ],
  );
  console.log(`sealing on ÷ off: ${fmt((100 * on.rps) / Math.max(off.rps, 1), 1)} % (target ≥ 95 %)`);
}
