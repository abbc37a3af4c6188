/**
 * One server process against `node:cluster` workers sharing its port, on one embedded ledger: client-credentials
 * issuance (ES256) and active introspection, ours only. Each worker is a whole server with its own writer thread;
 * the ledger's file lock orders their commits, and each worker's views learn of the others' events by polling.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { runLoad, type LoadResult } from './httpLoad.js';
import {
  cleanUpOnInterrupt,
  discover,
  freePorts,
  introspectionOf,
  issuance,
  launchOurs,
  ourEnv,
  post,
  registerBenchClients,
  RESOURCE,
  startScript,
  stopChild,
  type Side,
} from './oauthScenarios.js';
import { cells, fmt, fromLoad, printTable } from './table.js';

const CLUSTER = fileURLToPath(new URL('./peer/clusterServer.js', import.meta.url));

interface ClusterRow {
  scenario: string;
  connections: number;
  processes: number;
  result: LoadResult | string;
}

/** Issuance and introspection against `side` at each connection count (after a warm-up). */
async function measureSide(side: Side, processes: number, seconds: number, warmup: number): Promise<ClusterRow[]> {
  await discover(side);
  const rows: ClusterRow[] = [];
  const issue = await issuance(side, 'bench-client', { resource: RESOURCE }, 'ES256');
  let introspect: Awaited<ReturnType<typeof introspectionOf>> = typeof issue === 'string' ? issue : 'n/a';
  if (typeof issue !== 'string') {
    const { json } = await post(issue.url, issue.headers, issue.body);
    // Another worker learns of the token by polling the ledger (100 ms): the check waits for every worker.
    await new Promise((r) => setTimeout(r, 500));
    introspect = await introspectionOf(side, String(json.access_token), 'bench-client', true);
  }
  for (const [scenario, target] of [
    ['client credentials → JWT (ES256)', issue],
    ['introspection: active token', introspect],
  ] as const) {
    if (typeof target !== 'string') await runLoad({ ...target, method: 'POST', connections: 50, seconds: warmup });
    for (const connections of [10, 50]) {
      const result =
        typeof target === 'string' ? target : await runLoad({ ...target, method: 'POST', connections, seconds });
      rows.push({ scenario, connections, processes, result });
    }
  }
  return rows;
}

export async function measureCluster(quick: boolean, workers = 2): Promise<ClusterRow[]> {
  const seconds = quick ? 2 : 10;
  const warmup = quick ? 1 : 5;
  const rows: ClusterRow[] = [];
  for (const processes of [1, workers]) {
    const dataDir = mkdtempSync(join(tmpdir(), 'tl-bench-cluster-'));
    const released = cleanUpOnInterrupt(dataDir);
    let child: ChildProcess | undefined;
    try {
      const [port] = await freePorts(1);
      const env = ourEnv(port, dataDir);
      const side: Side = { name: 'ours', base: `http://127.0.0.1:${port}`, logTail: [] };
      side.noClients = await registerBenchClients(env);
      child =
        processes === 1 ? await launchOurs(env, side) : await startScript(CLUSTER, [String(processes)], side, env);
      rows.push(...(await measureSide(side, processes, seconds, warmup)));
    } finally {
      released();
      await stopChild(child);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return rows;
}

export function printCluster(rows: ClusterRow[]): void {
  console.log('\none process against node:cluster workers on one port and one embedded ledger (ours only):');
  printTable(
    ['scenario', 'conns', 'processes', 'req/s', 'p50', 'p99', 'errors', 'vs one process'],
    rows.map((r) => {
      const one = rows.find((o) => o.processes === 1 && o.scenario === r.scenario && o.connections === r.connections);
      const ratio =
        typeof r.result === 'string' || !one || typeof one.result === 'string' || one.result.rps === 0
          ? ''
          : `${fmt(r.result.rps / one.result.rps, 2)}×`;
      return [r.scenario, String(r.connections), String(r.processes), ...cells(fromLoad(r.result)), ratio];
    }),
  );
}
