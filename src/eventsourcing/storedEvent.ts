import type { EventMetadata, RecordedEvent } from './eventStore.js';

/** A stored event's columns, as every table-backed store keeps them. */
interface StoredEvent {
  id: string;
  type: string;
  stream: string;
  revision: number;
  position: bigint;
  recordedAt: Date;
  dataJson: string;
  /** Without the hash fields, which are columns of their own. */
  metadataJson: string;
  prevHash: string;
  hash: string;
}

/** The event as the port returns it: JSON parsed in its stored key order, the hash fields put back last. */
export function fromStored(row: StoredEvent): RecordedEvent {
  const metadata = JSON.parse(row.metadataJson) as EventMetadata;
  metadata.prevHash = row.prevHash;
  metadata.hash = row.hash;
  return {
    id: row.id,
    type: row.type,
    stream: row.stream,
    revision: row.revision,
    position: row.position,
    recordedAt: row.recordedAt,
    data: JSON.parse(row.dataJson) as unknown,
    metadata,
  };
}

/**
 * A row of a SQL events table as its driver returns it: the columns are the same in every such store, the position
 * and the recorded time come in the driver's own types.
 */
export interface EventRow<Position extends number | string, RecordedAt> {
  position: Position;
  id: string;
  stream: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
  prev_hash: string;
  hash: string;
  recorded_at: RecordedAt;
}

export function fromRow(row: EventRow<number | string, unknown>, recordedAt: Date): RecordedEvent {
  return fromStored({
    ...row,
    position: BigInt(row.position),
    recordedAt,
    dataJson: row.data,
    metadataJson: row.metadata,
    prevHash: row.prev_hash,
  });
}
