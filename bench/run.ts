/**
 * `npm run bench` (add `-- --quick` for a short run). Loopback only; every scenario is bounded in
 * time. Prints three tables: the ledger, the OAuth endpoints over HTTP against oidc-provider, and
 * the authorization-code flow over HTTP (ours only). The README records a run with the machine it
 * ran on.
 */
import { cpus, totalmem, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { measureAppends } from './ledgerAppends.js';
import { measureColdStart } from './coldStart.js';
import { measureOAuth, type Measured } from './oauthScenarios.js';
import { measureAuthorizationCode } from './authorizationCodeScenarios.js';
import { measureGraphql } from './graphqlScenarios.js';
import { runScaling } from './scaling.js';

const quick = process.argv.includes('--quick');
const seconds = quick ? 3 : 10;
const coldEvents = quick ? 100_000 : 1_000_000;
const dir = mkdtempSync(join(tmpdir(), 'tl-bench-'));
const rows: Array<[string, string, string]> = [];
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${fmt(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}`);
console.log(`mode: ${quick ? 'quick' : 'full'}; scratch: ${dir}\n`);
try {
  for (const writers of [1, 32]) {
    const r = await measureAppends(dir, writers, seconds);
    rows.push([
      `durable appends/s, embedded, ${writers} writer${writers > 1 ? 's' : ''}`,
      fmt(r.perSecond),
      `p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, ${fmt(r.avgBatch, 1)} appends per commit`,
    ]);
  }
  const cold = await measureColdStart(dir, coldEvents);
  rows.push([`cold start to /readyz, ${fmt(cold.events)} events, rebuilding views`, `${fmt(cold.rebuild, 2)} s`, `ledger filled in ${fmt(cold.fillSeconds, 1)} s`]);
  rows.push([`cold start to /readyz, ${fmt(cold.events)} events, from checkpoint`, `${fmt(cold.fromCheckpoint, 2)} s`, '']);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
function printTable(header: string[], body: string[][]): void {
  const width = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(width[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(line(width.map((w) => '-'.repeat(w))));
  for (const r of body) console.log(line(r));
}
printTable(['scenario', 'result', 'detail'], rows);

// OAuth endpoints over HTTP, ours against oidc-provider: both servers run as child processes, the
// load generator (autocannon) runs here; one server is under load at a time.
const oauth = await measureOAuth(quick);
const failures = (m: Measured) => (typeof m === 'string' ? 0 : m.errors + m.non2xx);
const rps = (m: Measured | null) => {
  if (m === null) return '—';
  if (typeof m === 'string') return m;
  const failed = failures(m);
  return failed ? `${fmt(m.rps)} (${fmt(failed)} failed)` : fmt(m.rps);
};
const ms = (n: number) => (n < 1 ? '<1' : fmt(n)); // autocannon records whole milliseconds
const latency = (m: Measured | null) => (m === null || typeof m === 'string' ? '' : `${ms(m.p50)} / ${ms(m.p99)} ms`);
const ratio = (ours: Measured, peer: Measured | null) =>
  peer === null ? '—' : typeof ours === 'string' || typeof peer === 'string' || peer.rps === 0 ? 'n/a' : `${fmt(ours.rps / peer.rps, 2)}×`;
console.log('');
printTable(
  ['scenario', 'connections', 'ours req/s', 'ours p50/p99', 'peer req/s', 'peer p50/p99', 'ratio'],
  oauth.map((r) => [r.scenario, String(r.connections), rps(r.ours), latency(r.ours), rps(r.peer), latency(r.peer), ratio(r.ours, r.peer)]),
);
const totalFailed = oauth.reduce((n, r) => n + failures(r.ours) + (r.peer === null ? 0 : failures(r.peer)), 0);
console.log(
  `\npeer: oidc-provider ${peerVersion()}, in-memory adapter. req/s counts 2xx responses only; ` +
    `p50/p99 from autocannon (1 ms resolution); ratio = ours req/s ÷ peer req/s. ` +
    `${quick ? 3 : 10} s per row, after ${quick ? 4 : 5} s of warm-up per target; failed requests (errors + non-2xx): ${fmt(totalFailed)}.`,
);

function peerVersion(): string {
  try {
    return (createRequire(import.meta.url)('oidc-provider/package.json') as { version: string }).version;
  } catch {
    return '(version unknown)';
  }
}

// The authorization-code flow, ours only: round trips and refresh-token rotations driven from this
// process (node:http, keep-alive), one unit of work in flight per worker.
const code = await measureAuthorizationCode(quick);
const ms1 = (n: number) => `${fmt(n, 1)} ms`;
console.log('');
printTable(
  ['scenario', 'connections', 'req/s', 'p50', 'p99', 'errors'],
  code.map((r) =>
    typeof r.result === 'string'
      ? [r.scenario, String(r.connections), r.result, '', '', '']
      : [r.scenario, String(r.connections), fmt(r.result.rps), ms1(r.result.p50), ms1(r.result.p99), fmt(r.result.errors)],
  ),
);
console.log(
  `\nours only: oidc-provider's code flow needs an interactive login through its own pages, so it is not compared. ` +
    `A round trip is GET /authorize with an established session and remembered consent (303 with a code) then POST /token ` +
    `(authorization_code, PKCE S256, public client); req/s counts round trips (or rotations) completed without error. ` +
    `connections = concurrent workers, each with one round trip in flight, sharing one session; every rotation run starts ` +
    `from fresh grants, one per worker. p50/p99 per round trip (performance.now()); errors = round trips or rotations that failed. ` +
    `${quick ? 3 : 10} s per row, after ${quick ? 3 : 5} s of warm-up per scenario.`,
);

// GraphQL reads with a large ledger (token index rebuilt at start from every issuance).
const gql = await measureGraphql(quick);
console.log('');
printTable(
  ['scenario', 'connections', 'req/s', 'p50 / p99'],
  gql.rows.map((r) => [r.scenario, String(r.connections), rps(r.result), latency(r.result)]),
);
console.log(`\n${fmt(gql.events)} events in the ledger (one AccessTokenIssued stream per token, 20 clients); operator token with ledger:audit.`);

// Cost as the work grows: the active-token view, HTTP and cold start at several sizes.
await runScaling(quick);
