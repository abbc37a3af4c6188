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
