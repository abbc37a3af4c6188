/**
 * Cost as the work grows: the same measurements at several sizes, so the curve shows, not a point.
 *
 * 1. The active-token view alone (bench/liveTokens.ts, a fresh process each): bytes per token,
 *    process RSS, lookups/s, eviction sweep and checkpoint timings at 10k, 100k and 1M tokens.
 * 2. The server over HTTP with 10k, 100k and 1M live tokens in its ledger: issuance
 *    (client_credentials) and introspection throughput, and the server's RSS.
 * 3. Cold start to /readyz at 100k, 1M and 5M events (one in five a live access token): full
 *    rebuild, then from the checkpoint the first launch wrote at shutdown.
 *
 * `--quick` skips the 1M and 5M points. Every launch and load run is bounded in time.
 *
 *   node dist/bench/scaling.js [--quick]      (also run by `npm run bench`)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteEventStore } from '../src/stores/sqlite/sqliteEventStore.js';
import { fillWithTokens, launchServer, measureColdStart, processMemory, stopServer } from './coldStart.js';
import { measureLiveTokens, type LiveTokensResult } from './liveTokens.js';
import { runLoad, type LoadResult } from './httpLoad.js';
import { freePorts, ourEnv, runCli } from './oauthScenarios.js';
import { fmt, printTable } from './table.js';

const SECRET = 'bench-secret-0123456789';

const mib = (bytes: number) => `${fmt(bytes / 2 ** 20)} MiB`;

async function viewRows(quick: boolean): Promise<string[][]> {
  const runs: Array<[number, 'service' | 'user', 'compact' | 'maps']> = [
    [10_000, 'service', 'compact'],
    [100_000, 'service', 'compact'],
    ...(quick
      ? []
      : ([
          [1_000_000, 'service', 'compact'],
          [1_000_000, 'user', 'compact'],
          [1_000_000, 'service', 'maps'],
        ] satisfies Array<[number, 'service' | 'user', 'compact' | 'maps']>)),
  ];
  const rows: string[][] = [];
  for (const [count, mix, layout] of runs) {
    let r: LiveTokensResult;
    try {
      r = await measureLiveTokens(count, mix, layout, 600);
    } catch (err) {
      rows.push([fmt(count), mix, layout, `n/a (${(err as Error).message})`, '', '', '', '']);
      continue;
    }
    rows.push([
      fmt(count),
      mix,
      layout === 'compact' ? 'typed arrays' : 'two Maps of objects (before)',
      fmt(r.bytesPerToken),
      mib(r.rss),
      fmt(r.lookupsPerSecond),
      r.sweepMs === undefined ? '—' : `${fmt(r.sweepMs, 1)} ms`,
      r.snapshotMs === undefined
        ? '—'
        : `${mib(r.snapshotBytes!)}; ${fmt(r.snapshotMs)} (${fmt(r.firstSnapshotMs!)}) / ${fmt(r.snapshotWrittenMs!)} / ${fmt(r.restoreMs!)} ms`,
    ]);
  }
  return rows;
}

const rps = (m: LoadResult | string) =>
  typeof m === 'string' ? m : m.errors + m.non2xx ? `${fmt(m.rps)} (${fmt(m.errors + m.non2xx)} failed)` : fmt(m.rps);
const lat = (m: LoadResult | string) =>
  typeof m === 'string' ? '' : `${m.p50 < 1 ? '<1' : fmt(m.p50)} / ${fmt(m.p99)} ms`;

/** The server with `live` access tokens in its ledger, under issuance then introspection load. */
async function httpAt(dir: string, live: number, port: number, seconds: number): Promise<string[]> {
  const dataDir = join(dir, `http-${live}`);
  const env = ourEnv(port, dataDir);
  const made = await runCli(
    [
      'clients',
      'create',
      '--client-id',
      'bench-client',
      '--client-secret',
      SECRET,
      '--grant-types',
      'client_credentials',
      '--scope',
      'orders:read',
      '--json',
    ],
    env,
  );
  if (made.code !== 0)
    return [fmt(live), `n/a (clients create: ${made.stderr.at(-1) ?? made.code})`, '', '', '', '', '', ''];
  const store = await openSqliteEventStore(join(dataDir, 'ledger.sqlite'));
  await fillWithTokens(store, live, live);
  await store.close();
  const base = `http://127.0.0.1:${port}`;
  const first = await launchServer(dataDir, port, env).catch((err: Error) => err);
  if (first instanceof Error) return [fmt(live), `n/a (${first.message})`, '', '', '', '', '', ''];
  let child = first.child;
  try {
    const headers = {
      authorization: `Basic ${Buffer.from(`bench-client:${SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    };
    const tokenBody = 'grant_type=client_credentials&scope=orders%3Aread';
    const issued = await fetch(`${base}/token`, { method: 'POST', headers, body: tokenBody });
    const token = ((await issued.json()) as { access_token?: string }).access_token;
    if (issued.status !== 200 || !token)
      return [fmt(live), `n/a (POST /token answered ${issued.status})`, '', '', '', '', '', ''];
    const check = (await (
      await fetch(`${base}/introspect`, { method: 'POST', headers, body: `token=${token}` })
    ).json()) as { active?: boolean };
    if (check.active !== true) return [fmt(live), 'n/a (introspection did not say active)', '', '', '', '', '', ''];
    const issuance = await runLoad({
      url: `${base}/token`,
      method: 'POST',
      headers,
      body: tokenBody,
      connections: 10,
      seconds,
    });
    const introspection = await runLoad({
      url: `${base}/introspect`,
      method: 'POST',
      headers,
      body: `token=${token}`,
      connections: 10,
      seconds,
    });
    const memory = processMemory(child.pid!);
    await stopServer(child); // writes the checkpoint
    const again = await launchServer(dataDir, port, env);
    child = again.child;
    return [
      fmt(live),
      rps(issuance),
      lat(issuance),
      rps(introspection),
      lat(introspection),
      `${mib(memory.rss)} (peak ${mib(memory.peak)})`,
      `${fmt(first.seconds, 1)} s`,
      `${fmt(again.seconds, 1)} s, ${mib(again.rss)}`,
    ];
  } finally {
    await stopServer(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function runScaling(quick: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tl-scaling-'));
  const seconds = quick ? 3 : 10;
  try {
    console.log(
      `\nscaling — ${cpus().length} × ${cpus()[0]?.model.trim()}, ${fmt(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${loadavg()
        .map((l) => fmt(l, 1))
        .join(' ')}\n`,
    );
    printTable(
      [
        'tokens',
        'mix',
        'layout',
        'bytes/token',
        'process RSS',
        'lookups/s',
        'expiry sweep',
        'checkpoint: size; stall (first) / written / read',
      ],
      await viewRows(quick),
    );
    console.log(
      '\nactive-token view alone, in a fresh process (node --expose-gc): bytes/token = (heapUsed + arrayBuffers) after − before a fill, ÷ tokens. ' +
        'service: client_credentials, 20 clients; user: authorization_code, 100,000 users, one grant per token, a status-list slot. ' +
        'lookups/s: activeTokenByHash on known hashes; sweep: evictExpired with nothing due; checkpoint: v8.serialize / v8.deserialize of the view.\n',
    );
    const sizes = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
    const [port] = await freePorts(1);
    const rows: string[][] = [];
    for (const live of sizes) rows.push(await httpAt(dir, live, port, seconds));
    printTable(
      [
        'live tokens',
        'POST /token req/s',
        'p50 / p99',
        'POST /introspect req/s',
        'p50 / p99',
        'server RSS after load',
        'ready (rebuild)',
        'ready (checkpoint), RSS',
      ],
      rows,
    );
    console.log(
      `\nour server, one at a time, 10 connections, ${seconds} s per row (autocannon); the ledger holds \`live tokens\` AccessTokenIssued events for the ` +
        'bench client, valid for a year, plus what the row adds. "ready": launch → first /readyz 200.\n',
    );
    const eventSizes = quick ? [100_000] : [100_000, 1_000_000, 5_000_000];
    const [coldPort] = await freePorts(2);
    const cold: string[][] = [];
    for (const events of eventSizes) {
      const r = await measureColdStart(dir, events, events / 5, coldPort).catch((err: Error) => err);
      if (r instanceof Error) cold.push([fmt(events), fmt(events / 5), `n/a (${r.message})`, '', '', '']);
      else {
        cold.push([
          fmt(r.events),
          fmt(r.live),
          `${fmt(r.fillSeconds, 1)} s`,
          `${fmt(r.rebuild, 2)} s, RSS ${mib(r.rebuildLaunch.rss)}`,
          `${fmt(r.fromCheckpoint, 2)} s, RSS ${mib(r.checkpointLaunch.rss)}`,
        ]);
      }
      rmSync(join(dir, `cold-${events}-${events / 5}`), { recursive: true, force: true });
    }
    printTable(['events', 'live tokens', 'ledger filled in', 'ready (full rebuild)', 'ready (from checkpoint)'], cold);
    console.log(
      '\ncold start: one event in five a live access token, the others an event no view reads. Launch → first /readyz 200.',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runScaling(process.argv.includes('--quick'));
