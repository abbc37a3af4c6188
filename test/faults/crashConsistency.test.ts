import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpoint } from '../../src/eventsourcing/checkpointFile.js';
import { HistoryIndex } from '../../projections/historyIndex.js';
import { HistoryQueries } from '../../projections/historyQueries.js';
import { historyFile } from '../../src/runtime.js';
import { isDeepStrictEqual } from 'node:util';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/cli.js';
import { removeDir } from '../helpers/server.js';
import {
  cliClient,
  serverEnv,
  signal,
  spawnServer,
  type ServerEnv,
  type ServerProcess,
} from '../helpers/faultsServer.js';
import { driveLoad, Journal, reconcile } from '../helpers/faultsJournal.js';

const FULL = process.env.TOKEN_LEDGER_FAULTS_FULL === '1';
const KILL_CYCLES = FULL ? 40 : 15;
const COMMIT_KILL_CYCLES = FULL ? 20 : 5;
/** Long enough that the SIGKILL, sent as soon as the announcement is read, lands before COMMIT. */
const COMMIT_HOLD_MS = 750;
const CONCURRENCY = 8;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));
const ms = (t0: number) => Date.now() - t0;

interface Figures {
  cycles: number;
  restartMs: number[];
  unanswered: number;
  /** The journal's counts when the test began: its figures are its own. */
  from: Counts;
}

interface Counts {
  issued: number;
  revokeAcked: number;
  revokeAttempted: number;
  refused: number;
}

const counts = (j: Journal): Counts => ({
  issued: j.issued.length,
  revokeAcked: j.revokeAcked.size,
  revokeAttempted: j.revokeAttempted.size,
  refused: j.refused,
});

function summarise(label: string, journal: Journal, f: Figures, extra = ''): void {
  const sorted = [...f.restartMs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const now = counts(journal);
  const acked = now.revokeAcked - f.from.revokeAcked;
  const cut = now.revokeAttempted - f.from.revokeAttempted - acked;
  console.log(
    `${label}: ${f.cycles} SIGKILL cycles · acknowledged ${now.issued - f.from.issued} issuances, ${acked} revocations ` +
      `(${cut} more revocations and ${f.unanswered} requests in all cut off by a kill; ${now.refused - f.from.refused} refused with 503 + Retry-After) · ` +
      `restart to ready median ${median} ms, max ${sorted[sorted.length - 1] ?? 0} ms${extra} · lost 0`,
  );
}

/** The held batch's events, looked up in the ledger file with the server down. */
function countEvents(dataDir: string, ids: string[]): number {
  const db = new Database(join(dataDir, 'ledger.sqlite'));
  try {
    const stmt = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM events WHERE id = ?');
    return ids.reduce((n, id) => n + stmt.get(id)!.n, 0);
  } finally {
    db.close();
  }
}

describe('crash consistency: SIGKILL under concurrent issuance and revocation', () => {
  let env: ServerEnv;
  let svc: Record<string, string>;
  let rs: Record<string, string>;
  let server: ServerProcess | undefined;
  const journal = new Journal();

  before(async () => {
    env = await serverEnv();
    svc = await cliClient(env, 'svc', 'orders:read orders:write');
    rs = await cliClient(env, 'rs', '');
  });

  after(async () => {
    if (server) await signal(server, 'SIGKILL');
    removeDir(env.DATA_DIR);
  });

  let mark = { issued: 0, revoked: new Set<string>() };
  /** After each restart: the tokens and revocations since the last check are as the journal says. */
  async function checkNew(): Promise<void> {
    const fresh = journal.issued.slice(mark.issued);
    const revoked = [...journal.revokeAttempted].filter((t) => !mark.revoked.has(t));
    mark = { issued: journal.issued.length, revoked: new Set(journal.revokeAttempted) };
    const r = await reconcile(server!.url, rs, [...fresh, ...revoked], journal);
    assert.deepEqual(r.lost, [], `${r.lost.length} acknowledged tokens lost`);
    assert.deepEqual(r.resurrected, [], `${r.resurrected.length} acknowledged revocations undone`);
  }

  it(`loses no acknowledged issuance or revocation over ${KILL_CYCLES} SIGKILLs at random moments`, async () => {
    // A graceful stop first, so that later restarts load a checkpoint and replay only the tail after it.
    server = await spawnServer(env);
    let load = driveLoad(server.url, svc, journal, { concurrency: CONCURRENCY });
    await sleep(300);
    await load.stop();
    await signal(server, 'SIGTERM');
    server = await spawnServer(env);

    const figures: Figures = { cycles: 0, restartMs: [], unanswered: 0, from: counts(journal) };
    for (let cycle = 0; cycle < KILL_CYCLES; cycle++) {
      const unansweredBefore = journal.unanswered;
      load = driveLoad(server.url, svc, journal, { concurrency: CONCURRENCY });
      await sleep(between(100, FULL ? 1500 : 700));
      await signal(server, 'SIGKILL');
      await load.stop();
      figures.unanswered += journal.unanswered - unansweredBefore;
      figures.cycles += 1;
      const t0 = Date.now();
      server = await spawnServer(env);
      figures.restartMs.push(ms(t0));
      await checkNew();
    }
    assert.deepEqual(journal.unexpected, [], 'every answer was a 200, a 503 with Retry-After, or a dropped connection');
    assert.ok(journal.issued.length > KILL_CYCLES, `enough load: ${journal.issued.length} tokens`);
    summarise('random SIGKILL', journal, figures);
  });

  it(`SIGKILL inside a group commit (${COMMIT_KILL_CYCLES} times): the held commit is absent as a whole, nothing acknowledged is lost`, async () => {
    await signal(server!, 'SIGTERM');
    const figures: Figures = { cycles: 0, restartMs: [], unanswered: 0, from: counts(journal) };
    const heldSizes: number[] = [];
    for (let cycle = 0; cycle < COMMIT_KILL_CYCLES; cycle++) {
      const unansweredBefore = journal.unanswered;
      // Kill during a commit the writer holds open (the n-th or a later one) after the server is ready.
      const killAt = between(1, 4);
      let seen = 0;
      let ready = false;
      let held: { appends: number; ids: string[] } | undefined;
      let killed!: () => void;
      const killedNow = new Promise<void>((resolve) => (killed = resolve));
      const t0 = Date.now();
      server = await spawnServer(env, { TOKEN_LEDGER_FAILPOINT: `commit-delay:${COMMIT_HOLD_MS}` }, (line) => {
        const m = /^failpoint commit-delay: holding (.*)$/.exec(line);
        if (!m) return false;
        const batch = JSON.parse(m[1]) as { appends: number; ids: string[] };
        // A group: a commit holding several clients' appends, not the first lone request of the load.
        if (ready && held === undefined && ++seen >= killAt && batch.appends >= 2) {
          server!.child.kill('SIGKILL');
          held = batch;
          killed();
        }
        return true;
      });
      figures.restartMs.push(ms(t0));
      ready = true;
      // Every earlier cycle's acknowledged writes survived the previous kill, also with the failpoint on.
      await checkNew();
      const load = driveLoad(server.url, svc, journal, { concurrency: CONCURRENCY });
      await Promise.race([killedNow, sleep(30_000).then(() => assert.fail('no commit was held within 30 s'))]);
      await server.exited;
      await load.stop();
      figures.unanswered += journal.unanswered - unansweredBefore;
      figures.cycles += 1;
      heldSizes.push(held!.appends);
      // Had the kill landed after COMMIT, these events would be in the ledger.
      assert.ok(held!.ids.length > 0);
      assert.equal(
        countEvents(env.DATA_DIR, held!.ids),
        0,
        'the commit being held when the process died left nothing behind',
      );
    }
    // The last cycle's writes, after a restart without the failpoint.
    server = await spawnServer(env);
    await checkNew();
    assert.deepEqual(journal.unexpected, [], 'every answer was a 200, a 503 with Retry-After, or a dropped connection');
    summarise(
      'SIGKILL inside a group commit',
      journal,
      figures,
      ` · appends per killed commit ${heldSizes.join(', ')} (none of their events in the ledger)`,
    );
  });

  it('after the crashes, every acknowledged write holds, and the views equal views rebuilt from zero', async () => {
    // `server` was restarted after a SIGKILL: its views are an old checkpoint plus the replayed tail.
    const live = await reconcile(server!.url, rs, journal.issued, journal);
    assert.deepEqual(live.lost, [], `${live.lost.length} acknowledged tokens lost`);
    assert.deepEqual(live.resurrected, [], `${live.resurrected.length} acknowledged revocations undone`);
    await historyCaughtUp(server!.url);
    await signal(server!, 'SIGTERM');
    const checkpoint = join(env.DATA_DIR, 'views', 'views.checkpoint');
    const liveViews = viewsIn(checkpoint);
    const historyPath = historyFile(env.DATA_DIR);
    const liveHistory = historyIn(historyPath);

    // Without a checkpoint and a history index the server rebuilds every view from the first event.
    renameSync(checkpoint, `${checkpoint}.live`);
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${historyPath}${suffix}`, { force: true });
    const t0 = Date.now();
    server = await spawnServer(env);
    const rebuildMs = ms(t0);
    const rebuilt = await reconcile(server.url, rs, journal.issued, journal);
    await historyCaughtUp(server.url);
    await signal(server, 'SIGTERM');
    server = undefined;
    const rebuiltViews = viewsIn(checkpoint);
    assert.ok(
      isDeepStrictEqual(rebuilt.answers, live.answers),
      'every introspection answer is the same from the rebuilt views',
    );
    assert.equal(rebuiltViews.position, liveViews.position);
    assert.ok(Object.keys(liveViews.views).length > 0);
    for (const name of Object.keys(liveViews.views)) {
      assert.ok(
        isDeepStrictEqual(rebuiltViews.views[name], liveViews.views[name]),
        `view ${name} rebuilt from zero equals the live one`,
      );
    }
    const rebuiltHistory = historyIn(historyPath);
    assert.equal(rebuiltHistory.position, liveHistory.position);
    assert.ok(liveHistory.rows.tokens.length >= journal.issued.length);
    assert.ok(
      isDeepStrictEqual(rebuiltHistory.rows, liveHistory.rows),
      'the history index rebuilt from zero equals the live one',
    );
    rmSync(`${checkpoint}.live`);

    const verify = await runCli(['verify', '--json'], env);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const report = JSON.parse(verify.stdout);
    const replay = JSON.parse((await runCli(['replay', '--json'], env)).stdout);
    // The ledger holds every acknowledged write, and possibly writes whose answer a kill cut off.
    const svcCounts = replay.perClient.svc;
    assert.ok(
      svcCounts.issued >= journal.issued.length,
      `ledger has ${svcCounts.issued} tokens, ${journal.issued.length} acknowledged`,
    );
    assert.ok(svcCounts.revoked >= journal.revokeAcked.size);
    assert.ok(svcCounts.revoked <= journal.revokeAttempted.size);
    console.log(
      `reconciled ${live.checked} acknowledged tokens on the restarted server and on views rebuilt from zero (rebuild to ready ${rebuildMs} ms): ` +
        `identical answers, identical view state at position ${liveViews.position}; ledger verifies (${report.events} events, hash chains intact); ` +
        `ledger holds ${svcCounts.issued} tokens for ${journal.issued.length} acknowledged issuances, ${svcCounts.revoked} revoked for ${journal.revokeAcked.size} acknowledged revocations; lost 0`,
    );
  });
});

/** The history index is fed from the ledger after the server is ready: wait until it is at the views' position. */
async function historyCaughtUp(url: string): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    if (/^history_index_lag_events 0$/m.test(metrics)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the history index did not catch up within 60 s');
}

/** The position and every row of the on-disk history index. */
function historyIn(file: string) {
  const index = new HistoryIndex(file);
  try {
    return { position: index.position(), rows: new HistoryQueries(index.db).dump() };
  } finally {
    index.close();
  }
}

/** The position and every view's state in a checkpoint file (the format is the runner's own). */
function viewsIn(file: string): { position: string; views: Record<string, unknown> } {
  const decoded = readCheckpoint(file);
  if (typeof decoded === 'string') throw new Error(`${file}: ${decoded}`);
  const views: Record<string, unknown> = {};
  for (const v of decoded.header.views) views[v.name] = decoded.state(v.name);
  return { position: decoded.header.position, views };
}
