/**
 * The PostgreSQL rows of `npm run bench`, run when BENCH_DATABASE_URL (or TEST_DATABASE_URL) names an
 * admin connection whose role may CREATE DATABASE. Each measure gets its own database, dropped at the
 * end. Beside the embedded store, in the same run so that both meet the same machine: durable
 * appends with 1 and 32 writers; issuance, introspection and revocation over HTTP; and the revocation
 * lag across three instances on one database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { BatchCounter, measureAppends, measureStoreAppends } from './ledgerAppends.js';
import { describeLag } from './revocationLag.js';
import { describeCpu, measureCpu, type CpuPerOp } from './cpuUsage.js';
import { measureCodeRoundTrips } from './authorizationCodeScenarios.js';
import { openPostgresEventStore } from '../src/stores/postgres/postgresEventStore.js';
import { createTestDatabase, type TestDatabase } from '../test/postgres/database.js';
import {
  cleanUpOnInterrupt,
  discover,
  freePorts,
  introspection,
  issuance,
  RESOURCE,
  startOurs,
  stopChild,
  TokenPool,
} from './oauthScenarios.js';
import { runLoad } from './httpLoad.js';
import { measureMultiInstance, type MultiInstanceResult } from './multiInstance.js';
import { cells, fmt, fromLoad, printTable, type Cell } from './table.js';

export const benchDatabaseUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || undefined;

async function withDatabase<T>(admin: string, fn: (db: TestDatabase) => Promise<T>): Promise<T> {
  const db = await createTestDatabase(admin);
  try {
    return await fn(db);
  } finally {
    await db.drop();
  }
}

type Ledger = 'embedded' | 'PostgreSQL';

interface HttpRow {
  scenario: string;
  ledger: Ledger;
  connections: number;
  result: Cell;
  /** CPU per successful request: the server process, and its PostgreSQL backends on PostgreSQL. */
  cpu?: CpuPerOp;
}

/** A row of the appends table: appends/s, latency, appends per commit, CPU per append. */
export function appendRow(
  ledger: Ledger,
  writers: number,
  r: Awaited<ReturnType<typeof measureStoreAppends>>,
): [string, string, string] {
  return [
    `durable appends/s, ${ledger}, ${writers} writer${writers > 1 ? 's' : ''}`,
    fmt(r.perSecond),
    `p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, ${fmt(r.avgBatch, 1)} appends per commit; ${describeCpu(r.cpu)}`,
  ];
}

/** Durable appends/s on PostgreSQL, one fresh database per writer count. */
async function postgresAppendRows(admin: string, seconds: number): Promise<Array<[string, string, string]>> {
  const rows: Array<[string, string, string]> = [];
  for (const writers of [1, 32]) {
    const r = await withDatabase(admin, async (db) => {
      const batches = new BatchCounter();
      const store = await openPostgresEventStore(db.settings(), { onBatch: (s) => batches.add(s.size) });
      return measureStoreAppends(store, batches, writers, seconds, db.url);
    });
    rows.push(appendRow('PostgreSQL', writers, r));
  }
  return rows;
}

/**
 * One server on `ledgerEnv` (empty: the embedded store): issuance (ES256 JWT, opaque), introspection,
 * revocation; CPU per request in the server and, given `postgresUrl`, in its PostgreSQL backends.
 */
async function httpRowsOn(
  ledger: Ledger,
  ledgerEnv: NodeJS.ProcessEnv,
  connections: readonly number[],
  seconds: number,
  postgresUrl?: string,
): Promise<HttpRow[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tl-bench-pg-http-'));
  const released = cleanUpOnInterrupt(dataDir);
  let child: ChildProcess | undefined;
  try {
    const [port] = await freePorts(1);
    const ours = await startOurs(port, dataDir, ledgerEnv);
    child = ours.child;
    await discover(ours.side);
    const rows: HttpRow[] = [];
    const load = async (
      scenario: string,
      target: Awaited<ReturnType<typeof issuance>>,
      extra: { bodies?: (i: number) => string; onResponse?: (s: number, b: string) => void } = {},
    ) => {
      if (typeof target !== 'string')
        await runLoad({ ...target, ...extra, method: 'POST', connections: 10, seconds: 1 });
      for (const c of connections) {
        if (typeof target === 'string') {
          rows.push({ scenario, ledger, connections: c, result: target });
          continue;
        }
        const { result, cpu } = await measureCpu(
          () => runLoad({ ...target, ...extra, method: 'POST', connections: c, seconds }),
          (r) => r.responses - r.non2xx,
          { nodePid: child?.pid, postgresUrl },
        );
        rows.push({ scenario, ledger, connections: c, result: fromLoad(result), cpu });
      }
    };
    const jwt = () => issuance(ours.side, 'bench-client', { resource: RESOURCE }, 'ES256');
    await load('client credentials → JWT (ES256)', await jwt());
    const pool = new TokenPool();
    const opaque = await issuance(ours.side, 'bench-opaque', {}, 'opaque');
    await load('client credentials → opaque', opaque, { onResponse: (_, body) => pool.take(body) });
    await load('introspection: active token (JWT)', await introspection(ours.side, await jwt(), 'bench-client'));
    // Revocation outruns issuance: top the pool up, off the clock, so that every measured request revokes a live token.
    if (typeof opaque !== 'string')
      await runLoad({
        ...opaque,
        method: 'POST',
        connections: 50,
        seconds: 1 + 2 * seconds * connections.length,
        onResponse: (_, body) => pool.take(body),
      });
    const revocationTarget =
      ours.side.unavailable ??
      (pool.tokens.length === 0
        ? 'n/a (no token to revoke)'
        : {
            url: ours.side.revocationEndpoint!,
            headers: (opaque as { headers: Record<string, string> }).headers,
            body: '',
          });
    await load('revocation (a fresh opaque token per request)', revocationTarget, {
      bodies: () => new URLSearchParams({ token: pool.nextToken(), token_type_hint: 'access_token' }).toString(),
    });
    if (pool.reused > 0)
      console.log(
        `bench: ${ledger}: revocation ran out of fresh tokens; ${fmt(pool.reused)} requests revoked an already revoked token`,
      );
    return rows;
  } finally {
    released();
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const CODE_ROUND_TRIP = 'code round trip: authorize (session) → redirect → token (PKCE)';

/** Code round trips on one server over `ledgerEnv` (its own server: a user, a public client, a session). */
async function codeRowsOn(
  ledger: Ledger,
  ledgerEnv: NodeJS.ProcessEnv,
  connections: readonly number[],
  seconds: number,
  postgresUrl?: string,
): Promise<HttpRow[]> {
  const measured = await measureCodeRoundTrips(ledgerEnv, connections, seconds, postgresUrl);
  return measured.map((m) => ({ scenario: CODE_ROUND_TRIP, ledger, ...m }));
}

/** The HTTP rows on the embedded store, then on a fresh PostgreSQL database (one for the code flow's server). */
async function postgresHttpRows(admin: string, connections: readonly number[], seconds: number): Promise<HttpRow[]> {
  const embedded = await httpRowsOn('embedded', {}, connections, seconds);
  const postgres = await withDatabase(admin, (db) =>
    httpRowsOn('PostgreSQL', { DATABASE_URL: db.url }, connections, seconds, db.url),
  );
  const embeddedCode = await codeRowsOn('embedded', {}, connections, seconds);
  const postgresCode = await withDatabase(admin, (db) =>
    codeRowsOn('PostgreSQL', { DATABASE_URL: db.url }, connections, seconds, db.url),
  );
  return [...embedded, ...postgres, ...embeddedCode, ...postgresCode];
}

const totalCpu = (cpu: CpuPerOp | undefined) => (cpu?.node === undefined ? undefined : cpu.node + (cpu.postgres ?? 0));

function cpuCell(cpu: CpuPerOp | undefined): string {
  if (cpu?.node === undefined) return 'n/a';
  return cpu.postgres === undefined ? fmt(cpu.node) : `${fmt(cpu.node)} + ${fmt(cpu.postgres)}`;
}

/** Revocation lag across three instances on one PostgreSQL database (A revokes; B and C are asked). */
function postgresLag(admin: string, quick: boolean): Promise<MultiInstanceResult | string> {
  return withDatabase(admin, (db) =>
    measureMultiInstance(quick, { ledgerEnv: { DATABASE_URL: db.url }, instances: 3 }),
  );
}

/**
 * Prints the PostgreSQL section: appends (embedded beside PostgreSQL), the HTTP rows side by side,
 * the lag across three instances. `seconds` per measured row.
 */
export async function runPostgresRows(admin: string, quick: boolean, seconds: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tl-bench-pg-'));
  const rows: Array<[string, string, string]> = [];
  try {
    for (const writers of [1, 32])
      rows.push(appendRow('embedded', writers, await measureAppends(dir, writers, seconds)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  rows.push(...(await postgresAppendRows(admin, seconds)));
  console.log(`\nPostgreSQL ledger (${new URL(admin).host}; one database per measure, dropped after it):`);
  printTable(['scenario', 'result', 'detail'], rows);

  const http = await postgresHttpRows(admin, quick ? [10] : [10, 50], seconds);
  const scenarios = [...new Set(http.map((r) => `${r.scenario}\u0000${r.connections}`))];
  console.log('');
  printTable(
    [
      'scenario',
      'conns',
      'embedded req/s',
      'p50',
      'p99',
      'errors',
      'CPU µs/req',
      'PostgreSQL req/s',
      'p50',
      'p99',
      'errors',
      'CPU µs/req (node + PostgreSQL)',
      'PostgreSQL ÷ embedded (req/s)',
      'embedded ÷ PostgreSQL (CPU)',
    ],
    scenarios.map((key) => {
      const [scenario, c] = key.split('\u0000') as [string, string];
      const of = (ledger: Ledger) =>
        http.find((r) => r.scenario === scenario && String(r.connections) === c && r.ledger === ledger)!;
      const [e, p] = [of('embedded'), of('PostgreSQL')];
      const share =
        typeof e.result === 'string' || typeof p.result === 'string' || e.result.rps === 0
          ? '—'
          : `${fmt((100 * p.result.rps) / e.result.rps)} %`;
      const cpuShare =
        totalCpu(e.cpu) && totalCpu(p.cpu) ? `${fmt((100 * totalCpu(e.cpu)!) / totalCpu(p.cpu)!)} %` : '—';
      return [scenario, c, ...cells(e.result), cpuCell(e.cpu), ...cells(p.result), cpuCell(p.cpu), share, cpuShare];
    }),
  );
  console.log(
    `${seconds} s per row after 1 s of warm-up; one server at a time, embedded first. CPU µs/req: the server process ` +
      `(/proc utime+stime) and the PostgreSQL backends of its database, per successful request (code flow: per round trip).`,
  );

  const lag = await postgresLag(admin, quick);
  console.log('\nthree instances on one PostgreSQL ledger (separate processes, each its own DATA_DIR):');
  if (typeof lag === 'string') console.log(`  ${lag}`);
  else for (const { to, result } of lag) for (const line of describeLag(result, to)) console.log(`  ${line}`);
}
