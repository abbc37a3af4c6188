import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { v7 as uuidv7 } from 'uuid';
import { openSqliteEventStore } from '../src/stores/sqlite/sqliteEventStore.js';
import type { EventStore, NewEvent } from '../src/eventsourcing/eventStore.js';
import { benchMetadata, fillLedger, issuanceEvent } from './ledgerAppends.js';

const SERVER = fileURLToPath(new URL('../src/server.js', import.meta.url));
export const BENCH_SECRET = 'bench-key-encryption-secret-0123456789abcdef';

/** Resident and peak resident memory of a running process, bytes (Linux /proc). */
export function processMemory(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kib('VmRSS'), peak: kib('VmHWM') };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

interface Launch {
  seconds: number;
  /** RSS of the server once ready, and its peak until then (restoring or rebuilding), bytes. */
  rss: number;
  peak: number;
}

/**
 * Launches the real server and waits (at most `limitSeconds`) for its first `/readyz` 200. The child
 * is returned running; on failure it is killed.
 */
export async function launchServer(
  dataDir: string,
  port: number,
  env: NodeJS.ProcessEnv = {},
  limitSeconds = 900,
): Promise<Launch & { child: ChildProcess }> {
  const started = performance.now();
  const child = spawn(process.execPath, [SERVER], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      KEY_ENCRYPTION_SECRET: BENCH_SECRET,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (;;) {
      if (performance.now() - started > limitSeconds * 1000)
        throw new Error(`server not ready within ${limitSeconds} s`);
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        if (res.status === 200)
          return { child, seconds: (performance.now() - started) / 1000, ...processMemory(child.pid!) };
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

/**
 * SIGTERM, and SIGKILL only after `graceSeconds`: the server writes its checkpoint on the way out
 * (for the next launch), which takes seconds with a million tokens.
 */
export async function stopServer(child: ChildProcess, graceSeconds = 300): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceSeconds * 1000);
  await gone;
  clearTimeout(timer);
}

/** Launch → first `/readyz` 200, then a clean stop. */
async function timeToReady(
  dataDir: string,
  port: number,
  env: NodeJS.ProcessEnv = {},
  limitSeconds = 900,
): Promise<Launch> {
  const { child, ...launch } = await launchServer(dataDir, port, env, limitSeconds);
  await stopServer(child);
  return launch;
}

/**
 * A live access token as the ledger records it (its hash, never the token), valid for a year.
 * `unique` strings per event, as JSON.parse gives them back from the ledger.
 */
function accessTokenEvent(clientId: string): NewEvent {
  const jti = uuidv7();
  const now = Math.floor(Date.now() / 1000);
  return {
    id: uuidv7(),
    type: 'AccessTokenIssued',
    data: {
      jti,
      tokenHash: createHash('sha256').update(randomBytes(32)).digest('base64url'),
      format: 'jwt',
      clientId,
      sub: clientId,
      scope: 'orders:read orders:write',
      aud: ['https://api.example'],
      iat: now,
      exp: now + 365 * 86_400,
      grantType: 'client_credentials',
      kid: 'bench-key',
      grantId: null,
    },
    metadata: benchMetadata,
  };
}

/**
 * Fills a ledger fast (100 events per append, 8 appends in flight): `live` AccessTokenIssued events
 * spread evenly among `total`, the rest events no view reads (the ledger's other traffic: their cost
 * is reading them on a rebuild).
 */
export async function fillWithTokens(
  store: EventStore,
  total: number,
  live: number,
  clientId = 'bench-client',
): Promise<void> {
  if (live === 0) return fillLedger(store, total);
  let next = 0;
  const isToken = (k: number) => Math.floor(((k + 1) * live) / total) > Math.floor((k * live) / total);
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < total) {
        const from = next;
        const n = Math.min(100, total - from);
        next += n;
        const events = Array.from({ length: n }, (_, i) =>
          isToken(from + i) ? accessTokenEvent(clientId) : issuanceEvent(),
        );
        await store.append(`bench-${events[0].id}`, events, 'no_stream');
      }
    }),
  );
}

/**
 * Cold start to /readyz with `events` in the ledger of which `live` are live access tokens: first
 * with no checkpoint (every view rebuilt from the first event), then from the checkpoint the first
 * launch wrote at shutdown.
 */
export async function measureColdStart(dir: string, events: number, live = 0, port = 3290) {
  const dataDir = join(dir, `cold-${events}-${live}`);
  const store = await openSqliteEventStore(join(dataDir, 'ledger.sqlite'));
  const fillStarted = performance.now();
  await fillWithTokens(store, events, live);
  const fillSeconds = (performance.now() - fillStarted) / 1000;
  await store.close();
  const rebuild = await timeToReady(dataDir, port);
  const fromCheckpoint = await timeToReady(dataDir, port);
  return {
    events,
    live,
    fillSeconds,
    rebuild: rebuild.seconds,
    fromCheckpoint: fromCheckpoint.seconds,
    rebuildLaunch: rebuild,
    checkpointLaunch: fromCheckpoint,
  };
}
