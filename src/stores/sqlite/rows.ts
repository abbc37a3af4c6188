import type { RecordedEvent } from '../../eventsourcing/eventStore.js';
import { fromRow, type EventRow as Row } from '../../eventsourcing/storedEvent.js';

/** Positions come back as numbers, times as ms since the epoch. */
export type EventRow = Row<number, number>;

export const toRecorded = (row: EventRow): RecordedEvent => fromRow(row, new Date(row.recorded_at));
