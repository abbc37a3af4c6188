import type { Config } from '../config/config.js';
import { upcasters } from '../domain/events/upcasters.js';
import type { EventStore } from '../eventsourcing/eventStore.js';
import { keylessPersonalDataStore } from '../eventsourcing/personalDataStore.js';
import { upcastingStore } from '../eventsourcing/upcasting.js';
import type { PostgresEventStore } from '../stores/postgres/postgresEventStore.js';
import { prunedEventCount } from './prune.js';
import { replayLedger } from './replay.js';
import { sqliteSequence } from './store.js';
import { verifyLedger } from './verify.js';

/** What `verify` checks beyond the events themselves: the highest position handed out, and what prune removed. */
export async function ledgerVerifyOptions(
  store: EventStore,
  config: Config,
): Promise<{ highestIssued: bigint | undefined; prunedEvents: number }> {
  return {
    highestIssued:
      store.kind === 'sqlite'
        ? sqliteSequence(config)
        : store.kind === 'postgres'
          ? await (store as PostgresEventStore).highestIssued()
          : undefined,
    prunedEvents: await prunedEventCount(store),
  };
}

/** `token-ledger verify` (no kept seal, the ledger's own seal keys) over the ledger as stored. */
export async function verifyStoredLedger(asStored: EventStore, config: Config) {
  return verifyLedger(asStored, await ledgerVerifyOptions(asStored, config));
}

/** `token-ledger replay [--until <position>]`: the views as the CLI rebuilds them (upcast, personal data unopened). */
export function replayStoredLedger(asStored: EventStore, position?: bigint) {
  const store = keylessPersonalDataStore(upcastingStore(asStored, upcasters));
  return replayLedger(store, position === undefined ? undefined : { position });
}

export class LedgerRunBusy extends Error {
  constructor() {
    super('a verify or replay run is already in progress in this server; try again when it has finished');
  }
}

let running = false;

/**
 * One whole-ledger run (verify or replay) at a time per process: each reads the whole ledger, and two at once would
 * only take twice as long each. A second caller is refused at once (LedgerRunBusy), not queued: a queue of callers
 * who gave up would still run.
 */
export async function oneLedgerRun<T>(run: () => Promise<T>): Promise<T> {
  if (running) throw new LedgerRunBusy();
  running = true;
  try {
    return await run();
  } finally {
    running = false;
  }
}
