import { existsSync } from 'node:fs';
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

/** Every event of the ledger in position order, paged through `readAll`. */
export async function* allEvents(store: EventStore, page = PAGE): AsyncGenerator<RecordedEvent> {
  let after = 0n;
  for (;;) {
    const batch = await store.readAll(after, page);
    for (const e of batch) yield e;
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
