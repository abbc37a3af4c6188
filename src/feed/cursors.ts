/** Where a sink stands: its delivered position and the state of its delivery, shared by every process. */
export interface SinkCursor {
  sinkId: string;
  /** The last event delivered (or skipped by the filter): the next one sent is after it. */
  position: bigint;
  lastError?: string;
  lastDeliveredAt?: Date;
  /** Since when every attempt has failed; undefined while deliveries succeed. */
  failingSince?: Date;
}

/**
 * The sinks' positions and leases. Not ledger events: one event per delivery would be fed to the sinks again and
 * double the writes. A lease makes exactly one process deliver to a sink while several share the ledger.
 */
export interface SinkCursors {
  all(): Promise<SinkCursor[]>;
  get(sinkId: string): Promise<SinkCursor>;
  /** Takes or renews the sink's lease until `untilMs`; false while another live owner holds it. */
  lease(sinkId: string, owner: string, untilMs: number): Promise<boolean>;
  /** Moves the position (only the lease holder's call counts); false when the lease was lost. */
  advance(sinkId: string, owner: string, position: bigint, deliveredAt?: Date): Promise<boolean>;
  /** Records a failed attempt; `failingSince` is kept from the first failure. */
  fail(sinkId: string, owner: string, error: string, at: Date): Promise<SinkCursor>;
  /** Clears the failure (a resumed sink starts counting again). */
  clearFailure(sinkId: string): Promise<void>;
  release(owner: string): Promise<void>;
  forget(sinkId: string): Promise<void>;
  close(): void;
}
