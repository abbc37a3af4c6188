import type { EventStore, RecordedEvent } from './eventStore.js';

/** The event a view last applied: it must still be at its place for the view to belong to this ledger. */
export interface AppliedEvent {
  id: string;
  stream: string;
  revision: number;
}

/**
 * Whether `last` is still the event at `position` in this ledger: if not, what was built on it came from another
 * ledger.
 */
export async function stillAt(store: EventStore, last: AppliedEvent, position: bigint): Promise<boolean> {
  const [event] = await store.readStream(last.stream, last.revision);
  return event !== undefined && event.id === last.id && event.position === position;
}

/**
 * A view kept on disk rather than in memory, for views that grow with everything ever issued (the
 * operators' history) and so would grow the heap without bound. It stores its position with its
 * rows, in the same transaction, so it resumes where it stopped and needs no checkpoint; the runner
 * feeds it the same batches as the in-memory views and it skips what it already holds.
 */
export interface DurableView {
  readonly name: string;
  /** Position of the last event it holds (0n when empty). */
  position(): bigint;
  lastEvent(): AppliedEvent | null;
  /**
   * Applies the events after its position, and the new position, in one transaction. A view written on another
   * thread answers a promise, settled once the batch is written (its position then moved) or refused. After a
   * batch fails, the feed sends only batches read from the ledger from the view's position (`fromLedger`): one
   * on another thread refuses what was already on its way, which would leave a gap.
   */
  apply(batch: RecordedEvent[], fromLedger?: boolean): void | Promise<void>;
  /** Forgets everything (a view from another ledger, or one ahead of this one). */
  reset(): void;
  /** Once what was applied is written. */
  close(): void | Promise<void>;
}
