import { join } from 'node:path';
import type { Config } from './config/config.js';
import { resolveKeyEncryptionSecret } from './config/keyEncryptionSecret.js';
import { allEvents } from './domain/events/all.js';
import type { EventStore } from './eventsourcing/eventStore.js';
import { Ledger } from './eventsourcing/ledger.js';
import { StateCache } from './application/stateCache.js';
import { upcastingStore } from './eventsourcing/upcasting.js';
import { upcasters } from './domain/events/upcasters.js';
import { ProjectionRunner, type RunnerOptions } from './eventsourcing/projectionRunner.js';
import { openSqliteEventStore, type SqliteStoreOptions } from './stores/sqlite/sqliteEventStore.js';
import { EventCatalogue } from './eventsourcing/validation.js';
import { allProjections } from '../projections/all.js';
import { keysProjection } from '../projections/keys.js';
import { lastSealProjection } from '../projections/lastSeal.js';
import { ThreadedHistoryIndex } from '../projections/historyIndexThread.js';
import { HistoryQueries } from '../projections/historyQueries.js';
import { KeyStore } from './crypto/keyStore.js';
import { viewsOf, type Views } from './application/queries/views.js';
import { systemClock, type Clock, type Ports } from './application/ports.js';
import { MerkleFrontier, merkleFrontierFile } from '../projections/merkleFrontier.js';
import { prunedRanges } from './audit/ledgerTree.js';
import { lazyCursors } from './feed/openCursors.js';
import type { SinkCursors } from './feed/cursors.js';
import { openSubjectKeys } from './crypto/openSubjectKeys.js';
import { personalDataStore } from './eventsourcing/personalDataStore.js';
import type { SubjectKeys } from './crypto/subjectKeys.js';

/** Everything a server or a CLI command needs, wired once: the ledger, its views and the keys. */
export interface Runtime {
  config: Config;
  /** The ledger as stored (personal data sealed): what verify, seals and feeds read. The ledger and views open it. */
  store: EventStore;
  ledger: Ledger;
  runner: ProjectionRunner;
  /** The views' current states, for the query modules (src/application/queries/): the only readers of their fields. */
  views: Views;
  /** The operators' history of tokens, grants and sessions (on disk; fed by the runner). */
  history: HistoryQueries;
  keys: KeyStore;
  keyEncryptionSecret: string;
  /** The Merkle frontier of the whole ledger, which seals are made from (a server only). */
  merkle?: MerkleFrontier;
  /** What the use cases are given (src/application/ports.ts), wired from the fields above. */
  ports: Ports;
  /** The outbound feed's positions and leases (src/feed/), opened on first use. */
  sinkCursors(): SinkCursors;
  /** The ledger without upcasting: events as written and hashed, for the outbound feed. */
  storeAsStored: EventStore;
  close(): Promise<void>;
}

interface RuntimeOptions {
  role: 'server' | 'cli';
  /** The use cases' time (tests set it); the system clock when omitted. */
  clock?: Clock;
  log?: RunnerOptions['log'];
  onBatch?: SqliteStoreOptions['onBatch'];
  writerHooks?: SqliteStoreOptions['writerHooks'];
  /** Told when a networked ledger loses and reopens its live connection (PostgreSQL's LISTEN). */
  storeLog?: (message: string) => void;
}

export const LEDGER_FILE = 'ledger.sqlite';
/** In the views directory, next to the checkpoint. */
const HISTORY_FILE = 'history.sqlite';
export const historyFile = (dataDir: string) => join(dataDir, 'views', HISTORY_FILE);

/**
 * The ledger as configured: EventStoreDB or PostgreSQL when a connection string or URL is set, else the embedded file.
 */
export async function openStore(
  config: Config,
  options: Pick<RuntimeOptions, 'onBatch' | 'storeLog' | 'writerHooks'> = {},
): Promise<EventStore> {
  if (config.eventstoreConnectionString) {
    const { openEsdbEventStore } = await import('./stores/esdb/esdbEventStore.js');
    return openEsdbEventStore(config.eventstoreConnectionString);
  }
  if (config.database) {
    const { openPostgresEventStore } = await import('./stores/postgres/postgresEventStore.js');
    return openPostgresEventStore(config.database, { onBatch: options.onBatch, log: options.storeLog });
  }
  return openSqliteEventStore(join(config.dataDir, LEDGER_FILE), {
    onBatch: options.onBatch,
    writerHooks: options.writerHooks,
  });
}

/** Opens the ledger and prepares the views; call `runner.start()` to catch them up. */
export async function openRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  // Views and deciders read every event at its current schema version, personal data opened.
  const asStored = await openStore(config, options);
  const raw = upcastingStore(asStored, upcasters);
  let history: ThreadedHistoryIndex | undefined;
  let subjectKeys: SubjectKeys | undefined;
  try {
    const ledgerIsNew = (await raw.headPosition()) === 0n;
    const keyEncryptionSecret = resolveKeyEncryptionSecret(config, ledgerIsNew);
    subjectKeys = await openSubjectKeys(config, keyEncryptionSecret);
    const keysOfSubjects = subjectKeys;
    // Deciders and views read personal data opened; `store` (verify, GraphQL's events, feeds) reads it as stored.
    const opened = personalDataStore(raw, subjectKeys);
    const catalogue = new EventCatalogue(allEvents);
    const ledger = new Ledger(opened, catalogue);
    // Written on a thread of its own: its transactions stay off the thread that serves requests.
    history = new ThreadedHistoryIndex(historyFile(config.dataDir));
    // Sealing off (SEAL_INTERVAL_SECONDS=0): no bookkeeping at all, the server as it was before seals.
    const merkle =
      options.role === 'server' && config.seals.intervalSeconds > 0
        ? new MerkleFrontier(merkleFrontierFile(join(config.dataDir, 'views')), await prunedRanges(raw))
        : undefined;
    const runner = new ProjectionRunner(opened, [...allProjections, lastSealProjection], {
      checkpointDir: join(config.dataDir, 'views'),
      writeCheckpoints: options.role === 'server',
      log: options.log,
      durable: merkle ? [history, merkle] : [history],
    });
    const keys = new KeyStore(() => runner.view(keysProjection), keyEncryptionSecret);
    const views = viewsOf(runner);
    const historyQueries = new HistoryQueries(history.db);
    const cursors = lazyCursors(config);
    return {
      config,
      store: raw,
      ledger,
      runner,
      views,
      history: historyQueries,
      keys,
      keyEncryptionSecret,
      merkle,
      ports: {
        events: { ledger, views: runner },
        cache: new StateCache(),
        views,
        history: historyQueries,
        settleHistory: () => runner.settleDurable(),
        keys,
        clock: options.clock ?? systemClock,
        config,
        keyEncryptionSecret,
        subjectKeys,
      },
      sinkCursors: () => cursors.get(),
      storeAsStored: asStored,
      async close() {
        await runner.close();
        cursors.close();
        await raw.close();
        await keysOfSubjects.close();
      },
    };
  } catch (err) {
    await history?.close();
    await subjectKeys?.close();
    await raw.close();
    throw err;
  }
}
