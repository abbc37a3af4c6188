/**
 * `npm run bench` (add `-- --quick` for a short run). Loopback only; every scenario is bounded in
 * time. Prints one table; the README records a run with the machine it ran on.
 */
import { cpus, totalmem, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { measureAppends } from './ledgerAppends.js';
import { measureColdStart } from './coldStart.js';

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
const width = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), ['scenario', 'result', 'detail'][i]!.length));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(width[i]!)).join(' | ')} |`;
console.log(line(['scenario', 'result', 'detail']));
console.log(line(width.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(r));
