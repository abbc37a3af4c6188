import type { BatchHandler, EventStore, RecordedEvent, SubscribeOptions } from './eventStore.js';

/**
 * Turns an event's data from schema version `from` into version `from + 1`. A ledger is never
 * rewritten: old events stay as they were hashed, and are read through the chain of upcasters up to
 * the version the code knows, so a ledger written by an older release replays under a newer one.
 */
export interface Upcaster {
  type: string;
  from: number;
  up(data: unknown): unknown;
}

export function upcaster(list: Upcaster[]): (event: RecordedEvent) => RecordedEvent {
  const byKey = new Map(list.map((u) => [`${u.type}.v${u.from}`, u]));
  if (byKey.size === 0) return (event) => event;
  return (event) => {
    let version = event.metadata.schemaVersion;
    let data = event.data;
    for (let u = byKey.get(`${event.type}.v${version}`); u; u = byKey.get(`${event.type}.v${version}`)) {
      data = u.up(data);
      version += 1;
    }
    if (version === event.metadata.schemaVersion) return event;
    // The metadata (and its hash) stay as recorded: an auditor still sees what was written.
    return { ...event, data };
  };
}

/** The store as the views and deciders read it: every event upcast to the current schema version. */
export function upcastingStore(store: EventStore, list: Upcaster[]): EventStore {
  const up = upcaster(list);
  if (list.length === 0) return store;
  return {
    kind: store.kind,
    append: (stream, events, expected) => store.append(stream, events, expected),
    readStream: async (stream, from) => (await store.readStream(stream, from)).map(up),
    readAll: async (after, limit) => (await store.readAll(after, limit)).map(up),
    headPosition: () => store.headPosition(),
    subscribe: (after: bigint, handler: BatchHandler, options?: SubscribeOptions) =>
      store.subscribe(after, (batch) => handler(batch.map(up)), options),
    close: () => store.close(),
  };
}
