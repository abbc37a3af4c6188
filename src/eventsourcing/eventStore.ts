/**
 * The ledger port. Every adapter (embedded SQLite, PostgreSQL, EventStoreDB) implements exactly this and is
 * exercised by the one contract suite in test/contract/.
 *
 * Positions are bigints: they are totally ordered across the whole ledger and an EventStoreDB
 * commit position does not fit a JS number. Stream revisions are 0-based numbers.
 */

import { Refusal, Unavailable } from '../domain/refusal.js';

export interface EventMetadata {
  /** Who caused the event: a client id, `operator:<name>`, `user:<sub>`, or `system`. */
  actor: string;
  correlationId: string;
  causationId: string | null;
  /** Version of the event's JSON Schema (`schema/events/<type>.v<n>.json`). */
  schemaVersion: number;
  /** The operator's reason for the command that wrote this event; absent when none was given. */
  reason?: string;
  /** Integrity chain: the previous event's hash in the same stream (empty string for the first). */
  prevHash: string;
  hash: string;
}

/** What a caller hands to `append`; the store fills revision, position, recorded time and the hashes. */
export interface NewEvent<T extends string = string, D = unknown> {
  /** UUID; re-appending the same ids to the same stream is idempotent. */
  id: string;
  type: T;
  data: D;
  metadata: Omit<EventMetadata, 'prevHash' | 'hash'>;
}

export interface RecordedEvent<T extends string = string, D = unknown> {
  id: string;
  type: T;
  stream: string;
  revision: number;
  position: bigint;
  recordedAt: Date;
  data: D;
  metadata: EventMetadata;
}

/**
 * `no_stream`: the stream must not exist; `stream_exists`: it must; `any`: no check;
 * a number: the revision of the stream's last event.
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

/** Whether a stream whose last revision is `current` (undefined: no stream) meets `expected`. */
export function expectationHolds(expected: ExpectedRevision, current: number | undefined): boolean {
  return (
    expected === 'any' ||
    (expected === 'no_stream' && current === undefined) ||
    (expected === 'stream_exists' && current !== undefined) ||
    (typeof expected === 'number' && expected === (current ?? -1))
  );
}

export interface AppendResult {
  /** Revision of the last event appended (or found, for an idempotent re-append). */
  nextRevision: number;
  /** Global position of the last event appended; pass it to `waitFor` for read-your-writes. */
  position: bigint;
}

export interface Subscription {
  close(): Promise<void>;
}

/** Called with events in position order; the next batch waits until the returned promise settles. */
export type BatchHandler = (events: RecordedEvent[]) => void | Promise<void>;

export interface SubscribeOptions {
  /** Called when the subscription fails for good (the handler threw, or the store went away). */
  onError?: (err: Error) => void;
}

export interface EventStore {
  readonly kind: 'sqlite' | 'esdb' | 'postgres';
  append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult>;
  /** Events of one stream from `fromRevision` (inclusive), in revision order; [] for no stream. */
  readStream(stream: string, fromRevision?: number): Promise<RecordedEvent[]>;
  /** Up to `limit` events with position strictly greater than `after`, in position order. */
  readAll(after: bigint, limit: number): Promise<RecordedEvent[]>;
  /** Position of the last event in the ledger (0n when empty). */
  headPosition(): Promise<bigint>;
  /**
   * Delivers every event after `after`: first those already there (catch-up), then new ones as
   * they are appended by this process or another (live), each exactly once and in order.
   */
  subscribe(after: bigint, handler: BatchHandler, options?: SubscribeOptions): Subscription;
  close(): Promise<void>;
}

export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | 'no_stream',
    message?: string,
  ) {
    super(message ?? `stream ${stream}: expected revision ${String(expected)}, actual ${String(actual)}`);
  }
}

/** The store could not take or serve the request now (locked, full disk, unreachable). Retryable. */
export class StoreUnavailableError extends Unavailable {
  override readonly name = 'StoreUnavailableError';
}

/** The store's files or server are not a token-ledger ledger, or are damaged. Not retryable. */
export class StoreCorruptError extends Refusal {
  override readonly name = 'StoreCorruptError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('server_error', message, { status: 500, cause: options?.cause });
  }
}
