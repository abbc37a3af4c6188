import type { RecordedEvent } from '../../eventsourcing/eventStore.js';
import { fromRow, type EventRow as Row } from '../../eventsourcing/storedEvent.js';

/** json columns come back as text (see COLUMNS), parsed here like every other store's; positions as text too. */
export type EventRow = Row<string, Date>;

/**
 * Selected as text (so ORDER BY must say events.position, not the text alias): bigint positions exactly, and JSON
 * parsed once, in its stored key order.
 */
export const COLUMNS =
  'position::text AS position, id, stream, revision, type, data::text AS data, metadata::text AS metadata, ' +
  'prev_hash, hash, recorded_at';

export const toRecorded = (row: EventRow): RecordedEvent => fromRow(row, row.recorded_at);
