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
import { openPostgresEventStore } from '../src/ledger/postgres/postgresEventStore.js';
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
  type Measured,
} from './oauthScenarios.js';
import { runLoad } from './httpLoad.js';
import { measureMultiInstance, type MultiInstanceResult } from './multiInstance.js';
import { cells, fmt, fromLoad, printTable } from './table.js';

export const benchDatabaseUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || undefined;

async function withDatabase<T>(admin: string, fn: (db: TestDatabase) => Promise<T>): Promise<T> {
  const db = await createTestDatabase(admin);
  try {
    return await fn(db);
  } finally {
    await db.drop();
  }
}

export type Ledger = 'embedded' | 'PostgreSQL';

export interface HttpRow {
  scenario: string;
  ledger: Ledger;
  connections: number;
  result: Measured;
}

/** Durable appends/s on PostgreSQL, one fresh database per writer count. */
export async function postgresAppendRows(admin: string, seconds: number): Promise<Array<[string, string, string]>> {
  const rows: Array<[string, string, string]> = [];
  for (const writers of [1, 32]) {
    const r = await withDatabase(admin, async (db) => {
      const batches = new BatchCounter();
      const store = await openPostgresEventStore(db.settings(), { onBatch: (s) => batches.add(s.size) });
      return measureStoreAppends(store, batches, writers, seconds);
    });
    rows.push([
      `durable appends/s, PostgreSQL, ${writers} writer${writers > 1 ? 's' : ''}`,
      fmt(r.perSecond),
      `p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, ${fmt(r.avgBatch, 1)} appends per commit`,
    ]);
  }
  return rows;
}

/** One server on `ledgerEnv` (empty: the embedded store): issuance (ES256 JWT, opaque), introspection, revocation. */
async function httpRowsOn(
  ledger: Ledger,
  ledgerEnv: NodeJS.ProcessEnv,
  connections: readonly number[],
  seconds: number,
): Promise<HttpRow[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tl-bench-pg-http-'));
  const released = cleanUpOnInterrupt(dataDir);
  let child: ChildProcess | undefined;
  try {
    const [port] = await freePorts(1);
    const ours = await startOurs(port!, dataDir, ledgerEnv);
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
        rows.push({
          scenario,
          ledger,
          connections: c,
          result:
            typeof target === 'string'
              ? target
              : await runLoad({ ...target, ...extra, method: 'POST', connections: c, seconds }),
        });
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

/** The HTTP rows on the embedded store, then on a fresh PostgreSQL database. */
export async function postgresHttpRows(
  admin: string,
  connections: readonly number[],
  seconds: number,
): Promise<HttpRow[]> {
  const embedded = await httpRowsOn('embedded', {}, connections, seconds);
  const postgres = await withDatabase(admin, (db) =>
    httpRowsOn('PostgreSQL', { DATABASE_URL: db.url }, connections, seconds),
  );
  return [...embedded, ...postgres];
}

/** Revocation lag across three instances on one PostgreSQL database (A revokes; B and C are asked). */
export function postgresLag(admin: string, quick: boolean): Promise<MultiInstanceResult | string> {
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
    for (const writers of [1, 32]) {
      const r = await measureAppends(dir, writers, seconds);
      rows.push([
        `durable appends/s, embedded, ${writers} writer${writers > 1 ? 's' : ''}`,
        fmt(r.perSecond),
        `p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, ${fmt(r.avgBatch, 1)} appends per commit`,
      ]);
    }
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
      'PostgreSQL req/s',
      'p50',
      'p99',
      'errors',
      'PostgreSQL ÷ embedded',
    ],
    scenarios.map((key) => {
      const [scenario, c] = key.split('\u0000') as [string, string];
      const of = (ledger: Ledger) =>
        fromLoad(
          http.find((r) => r.scenario === scenario && String(r.connections) === c && r.ledger === ledger)!.result,
        );
      const [e, p] = [of('embedded'), of('PostgreSQL')];
      const share =
        typeof e === 'string' || typeof p === 'string' || e.rps === 0 ? '—' : `${fmt((100 * p.rps) / e.rps)} %`;
      return [scenario, c, ...cells(e), ...cells(p), share];
    }),
  );
  console.log(`${seconds} s per row after 1 s of warm-up; one server at a time, embedded first.`);

  const lag = await postgresLag(admin, quick);
  console.log('\nthree instances on one PostgreSQL ledger (separate processes, each its own DATA_DIR):');
  if (typeof lag === 'string') console.log(`  ${lag}`);
  else for (const { to, result } of lag) for (const line of describeLag(result, to)) console.log(`  ${line}`);
}
