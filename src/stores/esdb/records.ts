import type { Position } from '@kurrent/kurrentdb-client';
import { StoreCorruptError, type EventMetadata, type RecordedEvent } from '../../eventsourcing/eventStore.js';

// What older servers put in the position field of a stream read: "no position".
const NO_POSITION = 2n ** 64n - 1n;

/** The fields of a client-side recorded event this adapter reads. */
export interface EsdbRecorded {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  created: Date;
  isJson: boolean;
  data: unknown;
  metadata: unknown;
  position?: Position;
}

/** System events (`$metadata`, links `$>`, stats…) and system streams are the server's, not the ledger's. */
export function isLedgerEvent(e: EsdbRecorded): boolean {
  return !e.type.startsWith('$') && !e.streamId.startsWith('$');
}

export function at(position: bigint): Position {
  return { commit: position, prepare: position };
}

export function positionOf(e: EsdbRecorded): bigint {
  const commit = e.position?.commit;
  if (commit === undefined || commit === NO_POSITION) {
    throw new StoreCorruptError(
      `EventStoreDB reported no position for event ${e.id} in ${e.streamId}: the server must be 22.6 or later`,
    );
  }
  return commit;
}

export function toRecorded(e: EsdbRecorded): RecordedEvent {
  const metadata = e.metadata as Partial<EventMetadata> | undefined;
  if (!e.isJson || typeof metadata?.hash !== 'string' || typeof metadata.prevHash !== 'string') {
    throw new StoreCorruptError(
      `event ${e.id} at ${e.streamId}@${e.revision} is not a token-ledger event (no JSON body or no integrity ` +
        `metadata)`,
    );
  }
  return {
    id: e.id,
    type: e.type,
    stream: e.streamId,
    revision: Number(e.revision),
    position: positionOf(e),
    recordedAt: e.created,
    data: e.data,
    metadata: metadata as EventMetadata,
  };
}
