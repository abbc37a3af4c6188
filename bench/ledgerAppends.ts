import { v7 as uuidv7 } from 'uuid';
import { join } from 'node:path';
import { openSqliteEventStore } from '../src/stores/sqlite/sqliteEventStore.js';
import type { EventStore } from '../src/eventsourcing/eventStore.js';
import { measureCpu, type CpuPerOp } from './cpuUsage.js';

export const benchMetadata = { actor: 'bench', correlationId: uuidv7(), causationId: null, schemaVersion: 1 };

/** An event shaped like a token issuance, the ledger's most common event. */
export function issuanceEvent() {
  const id = uuidv7();
  return {
    id,
    type: 'BenchTokenIssued',
    data: {
      jti: id,
      clientId: 'svc-a',
      sub: 'svc-a',
      scope: 'orders:read orders:write',
      aud: ['https://api.example'],
      exp: 1_900_000_000,
      tokenHash: 'x'.repeat(43),
    },
    metadata: benchMetadata,
  };
}

/** Durable appends per second with `writers` concurrent callers on the embedded store. */
export async function measureAppends(dir: string, writers: number, seconds: number) {
  const batches = new BatchCounter();
  const store = await openSqliteEventStore(join(dir, `appends-${writers}.sqlite`), {
    onBatch: (s) => batches.add(s.size),
  });
  return measureStoreAppends(store, batches, writers, seconds);
}

/** Counts group commits and the appends they carried (every store reports its batches). */
export class BatchCounter {
  batches = 0;
  appends = 0;
  add(size: number): void {
    this.batches += 1;
    this.appends += size;
  }
}

/**
 * Durable appends per second with `writers` concurrent callers, each awaiting its own append; closes
 * `store`. CPU per append: this process (callers and store alike), and the PostgreSQL backends of
 * `postgresUrl`'s database when given (sampled before the store closes its pool).
 */
export async function measureStoreAppends(
  store: EventStore,
  batches: BatchCounter,
  writers: number,
  seconds: number,
  postgresUrl?: string,
) {
  let count = 0;
  const latencies: number[] = [];
  const started = performance.now();
  const end = started + seconds * 1000;
  let cpu: CpuPerOp;
  let finished = started;
  try {
    ({ cpu } = await measureCpu(
      async () => {
        await Promise.all(
          Array.from({ length: writers }, async () => {
            while (performance.now() < end) {
              const e = issuanceEvent();
              const t = performance.now();
              await store.append(`token-${e.id}`, [e], 'no_stream');
              latencies.push(performance.now() - t);
              count += 1;
            }
          }),
        );
        finished = performance.now();
      },
      () => count,
      { postgresUrl },
    ));
  } finally {
    await store.close();
  }
  const elapsed = (finished - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    perSecond: count / elapsed,
    p50: latencies[Math.floor(latencies.length * 0.5)],
    p99: latencies[Math.floor(latencies.length * 0.99)],
    avgBatch: batches.appends / batches.batches,
    cpu,
  };
}

/** Fills a ledger quickly (many events per append) for the cold-start measurement. */
export async function fillLedger(store: EventStore, total: number): Promise<void> {
  const perAppend = 100;
  let written = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (written < total) {
        const n = Math.min(perAppend, total - written);
        written += n;
        const events = Array.from({ length: n }, issuanceEvent);
        await store.append(`token-${events[0].id}`, events, 'no_stream');
      }
    }),
  );
}
