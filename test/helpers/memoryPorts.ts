/**
 * The use cases' ports over an in-memory ledger: the real Ledger (schema validation, envelopes), the
 * real views (ProjectionRunner over allProjections, no checkpoint), the operators' history in an
 * in-memory SQLite, a clock the test sets, and signing keys made once per process. No files, no
 * sockets: a use case runs here as in the server, in milliseconds.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { allProjections } from '../../projections/all.js';
import { HistoryIndex } from '../../projections/historyIndex.js';
import { HistoryQueries } from '../../projections/historyQueries.js';
import type { Ports } from '../../src/application/ports.js';
import { viewsOf } from '../../src/application/queries/views.js';
import { StateCache } from '../../src/application/stateCache.js';
import { loadConfig } from '../../src/config/config.js';
import type { SigningKey } from '../../src/crypto/keyStore.js';
import { allEvents } from '../../src/domain/events/all.js';
import type { Alg } from '../../src/domain/keyring/state.js';
import type { RecordedEvent } from '../../src/eventsourcing/eventStore.js';
import { Ledger, type CommandContext, type DomainEvent } from '../../src/eventsourcing/ledger.js';
import { ProjectionRunner } from '../../src/eventsourcing/projectionRunner.js';
import { EventCatalogue } from '../../src/eventsourcing/validation.js';
import { MemoryEventStore } from './memoryEventStore.js';
import { MemorySubjectKeyRows } from './memorySubjectKeys.js';
import { wrappedSubjectKeys } from '../../src/crypto/subjectKeys.js';
import { personalDataStore } from '../../src/eventsourcing/personalDataStore.js';

/** 2026-01-01T00:00:00Z: every test starts at the same instant. */
export const T0 = Date.UTC(2026, 0, 1);

export const ISSUER = 'https://issuer.example';

const catalogue = new EventCatalogue(allEvents);

type TestKey = { kid: string; privateKey: KeyObject; publicKey: KeyObject };
const keyPairs = new Map<Alg, TestKey>();

/** One key per algorithm per process, made on first use (an RSA key costs tens of milliseconds or more). */
export function testKey(alg: Alg): TestKey {
  let key = keyPairs.get(alg);
  if (!key) {
    const pair =
      alg === 'RS256'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    keyPairs.set(alg, (key = { kid: `test-${alg.toLowerCase()}`, ...pair }));
  }
  return key;
}

export interface MemoryPorts extends Ports {
  /** The ledger as stored (personal data sealed); the ledger and the views read it opened. */
  store: MemoryEventStore;
  /** The subject keys' rows (wrapped keys; null once erased). */
  subjectKeyRows: MemorySubjectKeyRows;
  ledger: Ledger;
  runner: ProjectionRunner;
  /** The clock's reading, epoch ms; set it to move time. */
  now: number;
  /** Appends `events` to `stream` as a command would (validated, sealed), and waits for the views. */
  given(stream: string, events: DomainEvent[], ctx?: CommandContext): Promise<void>;
  /** Position of the ledger's last event. */
  head(): Promise<bigint>;
  /** The events appended after `position`, in order. */
  writtenAfter(position: bigint): RecordedEvent[];
  close(): Promise<void>;
}

interface Options {
  /**
   * Another connection's ledger: two MemoryPorts over one store are two instances of the server (own views, own
   * cache). Recorded times then follow the first instance's clock.
   */
  store?: MemoryEventStore;
  /** false: keys.signingKey finds none (as before the keyring's first key). */
  withKeys?: boolean;
  /** Another instance's subject keys (with `store`: both instances share the key table, as on PostgreSQL). */
  subjectKeyRows?: MemorySubjectKeyRows;
}

const KEY_ENCRYPTION_SECRET = 'a test key encryption secret of at least 32 characters';

const systemCtx: CommandContext = { actor: 'system', correlationId: 'given' };

export async function memoryPorts(options: Options = {}): Promise<MemoryPorts> {
  const clock = { now: T0 };
  const store = options.store?.another() ?? MemoryEventStore.open(() => clock.now);
  const subjectKeyRows = options.subjectKeyRows ?? new MemorySubjectKeyRows();
  const subjectKeys = wrappedSubjectKeys(subjectKeyRows, KEY_ENCRYPTION_SECRET);
  const opened = personalDataStore(store, subjectKeys);
  const ledger = new Ledger(opened, catalogue);
  const history = new HistoryIndex(':memory:');
  const runner = new ProjectionRunner(opened, allProjections, { durable: [history] });
  await runner.start();
  const ports: MemoryPorts = {
    events: { ledger, views: runner },
    cache: new StateCache(),
    views: viewsOf(runner),
    history: new HistoryQueries(history.db),
    settleHistory: () => runner.settleDurable(),
    keys: {
      signingKey: (alg: Alg): Promise<SigningKey | undefined> => {
        if (options.withKeys === false) return Promise.resolve(undefined);
        const { kid, privateKey } = testKey(alg);
        return Promise.resolve({ kid, alg, privateKey });
      },
    },
    clock: () => clock.now,
    get now() {
      return clock.now;
    },
    set now(ms: number) {
      clock.now = ms;
    },
    config: loadConfig({ ISSUER }),
    keyEncryptionSecret: KEY_ENCRYPTION_SECRET,
    subjectKeys,
    subjectKeyRows,
    store,
    ledger,
    runner,
    async given(stream, events, ctx = systemCtx) {
      const { position } = await ledger.append(stream, events, 'any', ctx);
      await runner.waitFor(position);
    },
    head: () => store.headPosition(),
    writtenAfter: (position) => store.all().filter((e) => e.position > position),
    async close() {
      await runner.close();
      await store.close();
      history.close();
    },
  };
  return ports;
}
