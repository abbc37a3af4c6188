import { createHash } from 'node:crypto';
import type { EventMetadata, RecordedEvent } from './eventStore.js';

/**
 * An event's hash: SHA-256 over its id, stream, revision, type, the JSON of its data, the JSON of its
 * metadata (without the two hash fields) and `prevHash`, the previous event's hash in the same stream.
 * Altering, dropping or reordering an event breaks the chain from that event on.
 *
 * JSON.stringify is deterministic for a given object (insertion order), and JSON.parse keeps that
 * order, so an event read back from any store re-serialises to the very text that was hashed; no
 * canonicalisation pass is needed on the write path.
 */
export function hashEvent(
  id: string,
  stream: string,
  revision: number,
  type: string,
  dataJson: string,
  metadataJson: string,
  prevHash: string,
): string {
  return createHash('sha256')
    .update(`${id}\n${stream}\n${revision}\n${type}\n${dataJson}\n${metadataJson}\n${prevHash}`)
    .digest('base64url');
}

type Unsealed = Omit<EventMetadata, 'prevHash' | 'hash'>;

/** Fills `prevHash` and `hash` for one event appended at `revision` after an event hashed `prevHash`. */
export function sealMetadata(
  event: { id: string; type: string; data: unknown; metadata: Unsealed },
  stream: string,
  revision: number,
  prevHash: string,
): EventMetadata {
  const hash = hashEvent(
    event.id,
    stream,
    revision,
    event.type,
    JSON.stringify(event.data),
    JSON.stringify(event.metadata),
    prevHash,
  );
  return { ...event.metadata, prevHash, hash };
}

/** Recomputes a recorded event's hash; true when it matches the one it carries. */
export function hasValidHash(event: RecordedEvent): boolean {
  const { prevHash, hash, ...rest } = event.metadata;
  const expected = hashEvent(
    event.id,
    event.stream,
    event.revision,
    event.type,
    JSON.stringify(event.data),
    JSON.stringify(rest),
    prevHash,
  );
  return expected === hash;
}
