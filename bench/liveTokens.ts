/**
 * Memory per live token in the active-token view, measured in a fresh process started with
 * --expose-gc (heap and array buffers after a full GC, before and after filling the view), with
 * lookup, eviction-sweep and checkpoint timings. `layout: 'maps'` measures the previous layout
 * (every AccessTokenIssued data object in two Maps, by hash and by jti) for comparison.
 *
 *   node --expose-gc dist/bench/liveTokens.js <count> <service|user> [compact|maps]
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  activeTokenByHash,
  activeTokensProjection,
  evictExpired,
  type ActiveToken,
} from '../projections/activeTokens.js';
import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import { readCheckpoint, writeCheckpoint } from '../src/eventsourcing/checkpointFile.js';

export type Mix = 'service' | 'user';
export type Layout = 'compact' | 'maps';

export interface LiveTokensResult {
  count: number;
  mix: Mix;
  layout: Layout;
  /** (heapUsed + arrayBuffers) after − before, ÷ count */
  bytesPerToken: number;
  rss: number;
  fillSeconds: number;
  lookupsPerSecond: number;
  sweepMs?: number;
  /** the checkpoint's synchronous part: how long the views (and every request) wait */
  snapshotMs?: number;
  /** the same for the process's first checkpoint */
  firstSnapshotMs?: number;
  /** until the checkpoint is hashed, fsynced and renamed */
  snapshotWrittenMs?: number;
  snapshotBytes?: number;
  restoreMs?: number;
}

const hashOf = (i: number) => createHash('sha256').update(`token-${i}`).digest('base64url');
const uuidOf = (i: number) => {
  const h = i.toString(16).padStart(12, '0');
  return `01890a5d-ac96-774b-bcce-${h}`;
};

/**
 * The event data as the ledger hands it to the view: fresh strings per event, as JSON.parse makes
 * them. service: client_credentials for 20 clients. user: authorization_code for 100,000 users,
 * one grant per token, with a status-list slot.
 */
function tokenData(i: number, mix: Mix, now: number): ActiveToken {
  const common = { jti: uuidOf(i), tokenHash: hashOf(i), iat: now, exp: now + 3600 + (i % 3600) };
  if (mix === 'service') {
    const client = `service-${i % 20}`;
    return {
      ...common,
      format: 'jwt',
      clientId: client,
      sub: `${client}`,
      scope: `orders:read orders:write`,
      aud: [`https://api.example`],
      grantType: 'client_credentials',
      kid: `key-2026-01`,
      grantId: null,
    };
  }
  return {
    ...common,
    format: 'jwt',
    clientId: `web-app-${i % 5}`,
    sub: `user-${i % 100_000}`,
    scope: `openid profile email orders:read`,
    aud: [`https://api.example`],
    grantType: 'authorization_code',
    kid: `key-2026-01`,
    grantId: `01890a5d-ac96-774b-9cce-${i.toString(16).padStart(12, '0')}`,
    statusList: { id: `list-${i >> 20}`, idx: i & 0xfffff },
  };
}

const memory = () => {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

async function run(count: number, mix: Mix, layout: Layout): Promise<LiveTokensResult> {
  const now = Math.floor(Date.now() / 1000);
  const before = memory();
  const started = performance.now();
  let compact = activeTokensProjection.initialState();
  const byHash = new Map<string, ActiveToken>();
  const byJti = new Map<string, ActiveToken>();
  const issue = activeTokensProjection.on.AccessTokenIssued;
  for (let i = 0; i < count; i++) {
    const data = tokenData(i, mix, now);
    if (layout === 'compact') compact = issue(compact, { data } as unknown as RecordedEvent);
    else {
      byHash.set(data.tokenHash, data);
      byJti.set(data.jti, data);
    }
  }
  const fillSeconds = (performance.now() - started) / 1000;
  const after = memory();
  const rss = process.memoryUsage().rss;

  const probes = Array.from({ length: Math.min(count, 100_000) }, (_, k) =>
    hashOf(Math.floor((k * count) / Math.min(count, 100_000))),
  );
  const lookupStarted = performance.now();
  let found = 0;
  for (let round = 0; round < 5; round++) {
    for (const h of probes) {
      const token = layout === 'compact' ? activeTokenByHash(compact, h, now) : byHash.get(h);
      if (token && token.exp > now) found++;
    }
  }
  const lookupsPerSecond = (probes.length * 5) / ((performance.now() - lookupStarted) / 1000);
  if (found !== probes.length * 5) throw new Error(`lookups found ${found} of ${probes.length * 5}`);
  const result: LiveTokensResult = {
    count,
    mix,
    layout,
    bytesPerToken: (after - before) / count,
    rss,
    fillSeconds,
    lookupsPerSecond,
  };
  if (layout === 'compact') {
    let t = performance.now();
    let restored: typeof compact;
    if (evictExpired(compact, now) !== 0) throw new Error('nothing should have expired');
    result.sweepMs = performance.now() - t;
    const dir = mkdtempSync(join(tmpdir(), 'tl-live-'));
    try {
      const file = join(dir, 'views.checkpoint');
      const views = [{ name: 'activeTokens', version: 1, code: 'bench', state: compact }];
      // The first checkpoint of a process lands on pages the file system has not used yet; later
      // ones (every few minutes in a server) reuse the pages of the file they replace.
      const t0 = performance.now();
      const first = writeCheckpoint(dir, file, { position: '1', lastEvent: null }, views);
      result.firstSnapshotMs = performance.now() - t0;
      await first;
      await writeCheckpoint(dir, file, { position: '2', lastEvent: null }, views);
      t = performance.now();
      const writing = writeCheckpoint(dir, file, { position: '3', lastEvent: null }, views);
      result.snapshotMs = performance.now() - t;
      await writing;
      result.snapshotWrittenMs = performance.now() - t;
      result.snapshotBytes = statSync(file).size;
      const read = readCheckpoint(file);
      if (typeof read === 'string') throw new Error(read);
      // What the main thread waits for: a server reads and checks the file on a thread of its own.
      t = performance.now();
      restored = read.state('activeTokens') as typeof compact;
      result.restoreMs = performance.now() - t;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (!activeTokenByHash(restored, probes[0], now)) throw new Error('restored view lost a token');
  }
  // Keep both layouts reachable until every figure is taken.
  if (compact.size + byHash.size + byJti.size < 0) console.log('unreachable');
  return result;
}

/** Runs one measurement in a fresh process (at most `limitSeconds`), so that nothing else is in its heap. */
export function measureLiveTokens(
  count: number,
  mix: Mix,
  layout: Layout = 'compact',
  limitSeconds = 300,
): Promise<LiveTokensResult> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--expose-gc', script, String(count), mix, layout], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c: string) => (out += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), limitSeconds * 1000);
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out) as LiveTokensResult);
      else reject(new Error(`liveTokens ${count} ${mix} ${layout}: exit ${code}`));
    }),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [count, mix, layout] = process.argv.slice(2);
  console.log(
    JSON.stringify(await run(Number(count ?? 1_000_000), (mix ?? 'service') as Mix, (layout ?? 'compact') as Layout)),
  );
}
