/**
 * `npm run bench` (add `-- --quick` for a run of a minute or two). Loopback only; every scenario is
 * bounded in time. Prints the ledger's own figures, then one table of every HTTP scenario, ours and
 * oidc-provider's side by side, with the ceiling (a bare Fastify route) and the revocation lag
 * between two instances under it. The README records a run with the machine it ran on.
 * `-- --dpop-only` runs only the DPoP rows (each beside the same request without DPoP); `-- --grants-only` only
 * token exchange and device polling (ours, beside issuance);
 * BENCH_CPU_PROF_DIR=<dir> has each of our servers write a V8 CPU profile there as it stops.
 */
import { cpus, totalmem, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { measureAppends } from './ledgerAppends.js';
import { measureColdStart } from './coldStart.js';
import { measureOAuth, oauthTimings } from './oauthScenarios.js';
import { measureAuthorizationCode } from './authorizationCodeScenarios.js';
import { measureGraphql } from './graphqlScenarios.js';
import { measureMultiInstance } from './multiInstance.js';
import { describeLag } from './revocationLag.js';
import { cells, cpuCells, fmt, fromLoad, printTable, ratio, type TableRow } from './table.js';
import { runScaling } from './scaling.js';
import { appendRow, benchDatabaseUrl, runPostgresRows } from './postgresRows.js';
import { DPOP_SCENARIOS, measureDpop, printDpop } from './dpopScenarios.js';
import { measureGrants, printGrants } from './grantScenarios.js';
import { measureSeals } from './sealScenarios.js';
import { measureFeed } from './feedThroughput.js';
import { measureCluster, printCluster } from './clusterScenarios.js';

const quick = process.argv.includes('--quick');
// `-- --postgres-only`: only the PostgreSQL rows (needs BENCH_DATABASE_URL or TEST_DATABASE_URL).
const postgresOnly = process.argv.includes('--postgres-only');
// `-- --dpop-only`: only the DPoP rows, each beside the same request without DPoP.
const dpopOnly = process.argv.includes('--dpop-only');
// `-- --grants-only`: only token exchange and device polling, beside issuance on the same server (ours only).
const grantsOnly = process.argv.includes('--grants-only');
// `-- --seals-only`: only the sealed ledger's rows (Merkle bookkeeping, seal signature, issuance sealing on vs off).
const sealsOnly = process.argv.includes('--seals-only');
// `-- --issuance-only`: only client-credentials issuance (ES256, RS256, opaque), active introspection and the ceiling.
const issuanceOnly = process.argv.includes('--issuance-only');
// `-- --cluster-only`: only one process against node:cluster workers (issuance, introspection).
const clusterOnly = process.argv.includes('--cluster-only');
// `-- --feed-only`: only the outbound feed's throughput row.
const feedOnly = process.argv.includes('--feed-only');
const seconds = quick ? 3 : 10;
const coldEvents = quick ? 100_000 : 1_000_000;
const dir = mkdtempSync(join(tmpdir(), 'tl-bench-'));
const rows: Array<[string, string, string]> = [];

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${fmt(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}`,
);
console.log(`mode: ${quick ? 'quick' : 'full'}; scratch: ${dir}\n`);
if (postgresOnly) {
  if (!benchDatabaseUrl)
    throw new Error(
      '--postgres-only needs BENCH_DATABASE_URL (or TEST_DATABASE_URL): an admin URL whose role may CREATE DATABASE',
    );
  rmSync(dir, { recursive: true, force: true });
  await runPostgresRows(benchDatabaseUrl, quick, seconds);
  process.exit(0);
}
if (grantsOnly) {
  rmSync(dir, { recursive: true, force: true });
  printGrants(await measureGrants(quick));
  process.exit(0);
}
if (sealsOnly) {
  rmSync(dir, { recursive: true, force: true });
  await measureSeals(quick);
  process.exit(0);
}
if (feedOnly) {
  try {
    const feed = await measureFeed(dir, quick ? 2_000 : 10_000, 38_000 + Math.floor(Math.random() * 1000));
    console.log(`outbound feed: ${fmt(feed.perSecond)} events/s to one loopback webhook sink`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}
if (clusterOnly) {
  rmSync(dir, { recursive: true, force: true });
  printCluster(await measureCluster(quick));
  process.exit(0);
}
if (issuanceOnly) {
  rmSync(dir, { recursive: true, force: true });
  const oauth = await measureOAuth(quick, 'issuance');
  printHttpTable(
    oauth.rows.map((r) => ({
      scenario: r.scenario,
      connections: r.connections,
      ours: fromLoad(r.ours),
      peer: r.peer === null ? null : fromLoad(r.peer),
    })),
  );
  printCeilingShare(oauth.rows);
  process.exit(0);
}
if (dpopOnly) {
  rmSync(dir, { recursive: true, force: true });
  printDpop(await measureDpop(quick), quick);
  process.exit(0);
}
try {
  for (const writers of [1, 32]) rows.push(appendRow('embedded', writers, await measureAppends(dir, writers, seconds)));
  const cold = await measureColdStart(dir, coldEvents);
  rows.push([
    `cold start to /readyz, ${fmt(cold.events)} events, rebuilding views`,
    `${fmt(cold.rebuild, 2)} s`,
    `ledger filled in ${fmt(cold.fillSeconds, 1)} s`,
  ]);
  rows.push([
    `cold start to /readyz, ${fmt(cold.events)} events, from checkpoint`,
    `${fmt(cold.fromCheckpoint, 2)} s`,
    '',
  ]);
  const feedEvents = quick ? 2_000 : 10_000;
  const feed = await measureFeed(dir, feedEvents, 38_000 + Math.floor(Math.random() * 1000));
  rows.push([
    'outbound feed: one webhook sink on loopback',
    `${fmt(feed.perSecond)} events/s`,
    `${fmt(feedEvents)} events, signed, in order, position stored per event`,
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
printTable(['scenario', 'result', 'detail'], rows);

// Every HTTP scenario in one table: ours and oidc-provider side by side where the peer has the
// scenario, each server a child process, the load generated from this process, one target under
// load at a time; then the ceiling (a bare Fastify route) and the lag between two instances.
const oauth = await measureOAuth(quick);
const code = await measureAuthorizationCode(quick);
const gql = await measureGraphql(quick);
const lag = await measureMultiInstance(quick);
const dpop = await measureDpop(quick);

const table: TableRow[] = [
  ...oauth.rows.map((r) => ({
    scenario: r.scenario,
    connections: r.connections,
    ours: fromLoad(r.ours),
    peer: r.peer === null ? null : fromLoad(r.peer),
  })),
  ...code,
  ...gql.rows.map((r) => ({
    scenario: `GraphQL ${r.scenario}`,
    connections: r.connections,
    ours: fromLoad(r.result),
    peer: null,
  })),
  // The DPoP rows; their plain twins, measured again beside them, are in the DPoP table below.
  ...dpop.rows
    .filter((r) => r.scenario === DPOP_SCENARIOS.dpopIssuance || r.scenario === DPOP_SCENARIOS.dpopUserInfo)
    .map((r) => ({ scenario: r.scenario, connections: r.connections, ours: r.ours.cell, peer: r.peer.cell })),
];
printHttpTable(table);
const timings = oauthTimings(quick);
console.log(
  `\npeer: oidc-provider ${peerVersion()}, in-memory adapter (an unbounded Map). req/s counts successful answers only (2xx; ` +
    `for the code flow, completed round trips or rotations); p50/p99 in ms (autocannon: 1 ms resolution; code flow: performance.now()); ` +
    `errors = connection errors, timeouts and unexpected statuses. ${timings.seconds} s per row after ${timings.warmupSeconds} s of warm-up per target. ` +
    `The peer refuses to introspect its own JWTs, so its introspection rows use its opaque tokens. Code flow: its session comes from an ` +
    `automatic interaction instead of a login page, then the same requests; its code-flow access tokens are opaque, ours JWTs (ES256). ` +
    `Revocation: each request revokes a different live token (collected from the opaque issuance runs and an untimed top-up).`,
);
if (oauth.reused.ours || oauth.reused.peer) {
  console.log(
    `revocation: the pool of fresh tokens ran out; already revoked tokens were sent ${fmt(oauth.reused.ours)} times (ours), ${fmt(oauth.reused.peer)} times (peer).`,
  );
}
printCeilingShare(oauth.rows);
console.log(
  `GraphQL: ${fmt(gql.events)} events in the ledger (one AccessTokenIssued stream per token, 20 clients); operator token with ledger:audit.`,
);

printDpop(dpop, quick);
await measureSeals(quick);
printCluster(await measureCluster(quick));

console.log('\ntwo instances on one embedded ledger (separate processes, same DATA_DIR):');
if (typeof lag === 'string') console.log(`  ${lag}`);
else for (const { to, result } of lag) for (const line of describeLag(result, to)) console.log(`  ${line}`);

/** The one table of every HTTP scenario. */
function printHttpTable(table: TableRow[]): void {
  console.log('');
  printTable(
    [
      'scenario',
      'conns',
      'ours req/s',
      'ours p50',
      'ours p99',
      'ours errors',
      'ours CPU µs/req',
      'writer µs/append',
      'peer req/s',
      'peer p50',
      'peer p99',
      'peer errors',
      'peer CPU µs/req',
      'ours ÷ peer',
    ],
    table.map((r) => [
      r.scenario,
      String(r.connections),
      ...cells(r.ours),
      ...cpuCells(r.ours),
      ...(r.peer === null ? ['—', '', '', ''] : cells(r.peer)),
      cpuCells(r.peer)[0],
      ratio(r.ours, r.peer),
    ]),
  );
}

/** Active introspection as a share of the bare route's ceiling, per connection count. */
function printCeilingShare(rows: Awaited<ReturnType<typeof measureOAuth>>['rows']): void {
  const ceilingRows = rows.filter((r) => r.ceiling);
  const introspectionRows = rows.filter((r) => r.scenario.startsWith('introspection: active'));
  for (const c of ceilingRows) {
    const i = introspectionRows.find((r) => r.connections === c.connections);
    if (i && typeof i.ours !== 'string' && typeof c.ours !== 'string' && c.ours.rps > 0) {
      console.log(
        `introspection (active) at ${c.connections} connections: ${fmt((100 * i.ours.rps) / c.ours.rps)} % of the ceiling (${fmt(i.ours.rps)} of ${fmt(c.ours.rps)} req/s).`,
      );
    }
  }
}

function peerVersion(): string {
  try {
    return (createRequire(import.meta.url)('oidc-provider/package.json') as { version: string }).version;
  } catch {
    return '(version unknown)';
  }
}

// Cost as the work grows: the active-token view, HTTP and cold start at several sizes.
await runScaling(quick);

if (benchDatabaseUrl) await runPostgresRows(benchDatabaseUrl, quick, seconds);
else
  console.log(
    '\nPostgreSQL rows skipped: set BENCH_DATABASE_URL (an admin URL whose role may CREATE DATABASE) to add them.',
  );
