import { existsSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from '../config/config.js';
import type { EventStore, RecordedEvent } from '../eventsourcing/eventStore.js';
import { LEDGER_FILE, openStore } from '../runtime.js';

const PAGE = 1000;

/**
 * The ledger the server uses, exactly as stored (no upcasting: hashes are checked on what was written); no views, no
 * keys.
 */
export const openAuditStore = (config: Config): Promise<EventStore> => openStore(config);

/** Events handed out between two turns of the event loop. */
const TURN = 100;

/**
 * Every event of the ledger in position order, paged through `readAll`. A turn of the event loop every TURN events
 * (the embedded store reads synchronously, and what consumes the events, hashing or replaying them, does too): a
 * whole-ledger run inside the server (the console's verifyLedger, replayDigest, export) lets requests in between;
 * for the CLI it costs a thousand turns per 100k events, a few milliseconds.
 */
export async function* allEvents(store: EventStore, page = PAGE): AsyncGenerator<RecordedEvent> {
  let after = 0n;
  let handed = 0;
  for (;;) {
    const batch = await store.readAll(after, page);
    for (const e of batch) {
      if (++handed % TURN === 0) await nextTurn();
      yield e;
    }
    if (batch.length < page) return;
    after = batch[batch.length - 1].position;
  }
}

/** The category of a stream: what precedes its first dash (`grant-abc` → `grant`). */
export const categoryOf = (stream: string): string => {
  const i = stream.indexOf('-');
  return i < 0 ? stream : stream.slice(0, i);
};

/**
 * The highest position SQLite ever handed out (sqlite_sequence), read outside the port. A rolled-back
 * write returns its number to the sequence, so on a sound embedded ledger this is the last position.
 */
export function sqliteSequence(config: Config): bigint | undefined {
  if (config.eventstoreConnectionString || config.database) return undefined;
  const file = join(config.dataDir, LEDGER_FILE);
  if (!existsSync(file)) return undefined;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`).get() as
      { seq: number } | undefined;
    return BigInt(row?.seq ?? 0);
  } catch {
    return undefined;
  } finally {
    db.close();
  }
}
