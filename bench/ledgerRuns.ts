/**
 * How long the console's verifyLedger and replayDigest take per 100k events, and how long they hold the event loop
 * at most (src/audit/store.ts's allEvents yields every 100 events): `node dist/bench/ledgerRuns.js [events]`
 * (default 100000).
 */
import { createHash } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { replayStoredLedger, verifyStoredLedger } from '../src/audit/ledgerRuns.js';
import type { Config } from '../src/config/config.js';
import { openSqliteEventStore } from '../src/stores/sqlite/sqliteEventStore.js';
import { removeDir, tempDir } from '../test/helpers/server.js';
import { benchMetadata } from './ledgerAppends.js';

const total = Number(process.argv[2] ?? 100_000);
const dir = tempDir('tl-bench-runs-');
const store = await openSqliteEventStore(join(dir, 'ledger.sqlite'));
try {
  const iat = Math.floor(Date.now() / 1000);
  for (let written = 0; written < total; written += 100) {
    const events = Array.from({ length: Math.min(100, total - written) }, () => {
      const jti = uuidv7();
      const data = {
        jti,
        tokenHash: createHash('sha256').update(jti).digest('base64url'),
        format: 'opaque',
        clientId: 'svc-a',
        sub: 'svc-a',
        scope: 'orders:read',
        aud: ['https://api.example'],
        iat,
        exp: iat + 3600,
        grantType: 'client_credentials',
        kid: null,
        grantId: null,
      };
      return { id: jti, type: 'AccessTokenIssued', data, metadata: benchMetadata };
    });
    await store.append(`bench-${events[0].id}`, events, 'no_stream');
  }
  const config = { dataDir: dir } as Config;
  for (const [name, run] of [
    ['verify', () => verifyStoredLedger(store, config)],
    ['replay', () => replayStoredLedger(store)],
  ] as const) {
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const started = performance.now();
    await run();
    const ms = performance.now() - started;
    loop.disable();
    console.log(
      `${name}: ${total} events in ${(ms / 1000).toFixed(2)} s (${((ms / total) * 100_000).toFixed(0)} ms per 100k); ` +
        `event loop delay max ${(loop.max / 1e6).toFixed(1)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms`,
    );
  }
} finally {
  await store.close();
  removeDir(dir);
}
