import type { RecordedEvent } from '../../eventsourcing/eventStore.js';
import { fromStored } from '../../eventsourcing/storedEvent.js';

export interface EventRow {
  position: string;
  id: string;
  stream: string;
  revision: number;
  type: string;
  /** json columns come back as text (see COLUMNS), parsed here like every other store's. */
  data: string;
  metadata: string;
  prev_hash: string;
  hash: string;
  recorded_at: Date;
}

/**
 * Selected as text (so ORDER BY must say events.position, not the text alias): bigint positions exactly, and JSON
 * parsed once, in its stored key order.
 */
export const COLUMNS =
  'position::text AS position, id, stream, revision, type, data::text AS data, metadata::text AS metadata, ' +
  'prev_hash, hash, recorded_at';

export function toRecorded(row: EventRow): RecordedEvent {
  return fromStored({
    ...row,
    position: BigInt(row.position),
    recordedAt: row.recorded_at,
    dataJson: row.data,
    metadataJson: row.metadata,
    prevHash: row.prev_hash,
  });
}
