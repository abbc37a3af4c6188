import type { RecordedEvent } from '../eventStore.js';

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
  const metadata = JSON.parse(row.metadata);
  metadata.prevHash = row.prev_hash;
  metadata.hash = row.hash;
  return {
    id: row.id,
    type: row.type,
    stream: row.stream,
    revision: row.revision,
    position: BigInt(row.position),
    recordedAt: new Date(row.recorded_at),
    data: JSON.parse(row.data),
    metadata,
  };
}
