import type { HistoryQueries } from '../../projections/historyQueries.js';
import type { Config } from '../config/config.js';
import type { KeyStore } from '../crypto/keyStore.js';
import type { SubjectKeys } from '../crypto/subjectKeys.js';
import type { WritePorts } from './execute.js';
import type { Views } from './queries/views.js';
import type { StateCache } from './stateCache.js';

/** Milliseconds since the epoch. Use cases read the time only from here, so a test sets it. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** JWT and event times are whole seconds (RFC 7519 NumericDate). */
export const epochSeconds = (clock: Clock): number => Math.floor(clock() / 1000);

/**
 * What the use cases are given. The composition root (runtime.ts, for the server and the CLI) wires
 * it once; each use case names the parts it needs (`Pick<Ports, …>`), so a unit test hands it
 * in-memory ports and nothing else.
 */
export interface Ports {
  /** The ledger to read and append (through execute()) and the views a change waits for. */
  events: WritePorts;
  /** Folded states of hot streams (grants), for execute(). */
  cache: StateCache;
  /** The views' current states, read through the query modules. */
  views: Views;
  /** The operators' history of tokens, grants and sessions (fed after the views: see settleHistory). */
  history: Pick<HistoryQueries, 'liveTokensOf' | 'grantsOf' | 'sessionsOf' | 'exchangedFrom'>;
  /** Resolves once the history holds every event this instance's views have applied. */
  settleHistory(): Promise<void>;
  /** The active signing keys. */
  keys: Pick<KeyStore, 'signingKey'>;
  clock: Clock;
  config: Pick<
    Config,
    | 'issuer'
    | 'maxTokenLifetimeSeconds'
    | 'refreshTokenAbsoluteSeconds'
    | 'refreshTokenIdleSeconds'
    | 'sessionSeconds'
    | 'profile'
    | 'dpopNonceRequired'
    | 'requirePushedAuthorizationRequests'
    | 'registration'
  >;
  /** Encrypts new signing keys' private parts at rest. */
  keyEncryptionSecret: string;
  /** Per-subject keys sealing personal data in the ledger; destroyed on erasure (src/application/eraseUser.ts). */
  subjectKeys: SubjectKeys;
}
