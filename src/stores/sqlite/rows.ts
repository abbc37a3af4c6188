import type { RecordedEvent } from '../../eventsourcing/eventStore.js';
import { fromStored } from '../../eventsourcing/storedEvent.js';

export interface EventRow {
  position: number;
  id: string;
  stream: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
  prev_hash: string;
  hash: string;
  recorded_at: number;
}

export function toRecorded(row: EventRow): RecordedEvent {
  return fromStored({
    ...row,
    position: BigInt(row.position),
    recordedAt: new Date(row.recorded_at),
    dataJson: row.data,
    metadataJson: row.metadata,
    prevHash: row.prev_hash,
  });
}
