import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import type { AppliedEvent } from '../src/eventsourcing/durableView.js';
import { READS_DATA_OF } from './historyIndex.js';

/**
 * One event as it crosses to the history index's thread: [position, id, stream, revision, type, recordedAt in ms,
 * data or null]. Serializing costs the main thread per value: flat tuples of strings and numbers clone at about half
 * the cost of the event objects (their Date, bigint and metadata), and only the events the index reads carry their
 * data; the others only move its position and its activity window.
 */
export type WireEvent = [string, string, string, number, string, number, unknown];

export type ToThread =
  | { kind: 'apply'; id: number; events: WireEvent[]; fromLedger: boolean }
  | { kind: 'reset'; id: number }
  | { kind: 'close' };

/** The thread's answer to an apply or a reset: where the file stands after it, or why it was not written. */
export type FromThread =
  { id: number; ok: true; position: string; last: AppliedEvent | null } | { id: number; ok: false; error: string };

/** The events after `after` (what the index already holds need not cross). */
export function toWire(batch: readonly RecordedEvent[], after: bigint): WireEvent[] {
  const out: WireEvent[] = [];
  for (const e of batch) {
    if (e.position <= after) continue;
    const data = READS_DATA_OF.has(e.type) ? e.data : null;
    out.push([String(e.position), e.id, e.stream, e.revision, e.type, e.recordedAt.getTime(), data]);
  }
  return out;
}

/** The events as the index reads them (it never reads their metadata). */
export function fromWire(events: readonly WireEvent[]): RecordedEvent[] {
  return events.map(
    ([position, id, stream, revision, type, recordedAt, data]) =>
      ({
        position: BigInt(position),
        id,
        stream,
        revision,
        type,
        recordedAt: new Date(recordedAt),
        data,
      }) as RecordedEvent,
  );
}
