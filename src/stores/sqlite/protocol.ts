import type { ExpectedRevision } from '../../eventsourcing/eventStore.js';

/** An event as the writer thread receives it: serialised once, on the caller's thread. */
export interface SerialisedEvent {
  id: string;
  type: string;
  dataJson: string;
  /** Metadata without the hash fields, which the writer adds. */
  metadataJson: string;
}

/** The store (main thread) posts arrays of these to its writer thread. */
export interface AppendRequest {
  reqId: number;
  stream: string;
  events: SerialisedEvent[];
  expected: ExpectedRevision;
}

export type AppendReply =
  | {
      reqId: number;
      ok: true;
      nextRevision: number;
      position: number;
      /**
       * Set when this request's events were inserted now (not an idempotent repeat): the hash
       * chain links and the commit time, so the caller can deliver its own events to subscribers
       * without reading them back.
       */
      written?: { prevHash: string; hashes: string[]; recordedAt: number };
    }
  | { reqId: number; ok: false; kind: 'conflict'; actual: number | 'no_stream'; message: string }
  | { reqId: number; ok: false; kind: 'unavailable'; message: string };

export interface WriterStats {
  size: number;
  seconds: number;
}

/** One message back per group commit. */
export interface WriterReply {
  replies: AppendReply[];
  stats: WriterStats;
}
