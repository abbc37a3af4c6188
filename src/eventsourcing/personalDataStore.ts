import { ERASED, openPersonalData, type PersonalData } from '../crypto/personalData.js';
import type { SubjectKeys } from '../crypto/subjectKeys.js';
import type { BatchHandler, EventStore, RecordedEvent, SubscribeOptions } from './eventStore.js';

/** Sealed: UserRegistered v2 holds its personal data as a JWE under the subject's key. */
const isSealed = (e: RecordedEvent): e is RecordedEvent<string, { sub: string; pii: string }> =>
  e.type === 'UserRegistered' && typeof (e.data as { pii?: unknown }).pii === 'string';

// Keys (32 bytes each) of this many subjects stay in memory; past it the cache starts again.
const CACHE_LIMIT = 100_000;

/**
 * The store as deciders and views read it: every sealed event opened with its subject's key, its personal
 * fields `erased` when the key is gone. No pure upcaster can do this (it needs the keys), so it sits after
 * them. Keys are cached per process; UserErased, however it arrives (this process's append or another's,
 * through the subscription), drops the subject's key from the cache before any later event is opened.
 * What the store holds, and what verify, export and the hashes see, stays the ciphertext.
 */
export function personalDataStore(store: EventStore, keys: Pick<SubjectKeys, 'load'>): EventStore {
  const cache = new Map<string, Uint8Array | null>();

  async function open(events: RecordedEvent[]): Promise<RecordedEvent[]> {
    for (const e of events) if (e.type === 'UserErased') cache.set((e.data as { sub: string }).sub, null);
    const sealed = events.filter(isSealed);
    if (sealed.length === 0) return events;
    const missing = [...new Set(sealed.map((e) => e.data.sub))].filter((sub) => !cache.has(sub));
    if (missing.length > 0) {
      if (cache.size + missing.length > CACHE_LIMIT) cache.clear();
      const found = await keys.load(missing);
      for (const sub of missing) cache.set(sub, found.get(sub) ?? null);
    }
    return events.map((e) => (isSealed(e) ? opened(e, cache.get(e.data.sub) ?? null) : e));
  }

  return {
    kind: store.kind,
    append: (stream, events, expected) => store.append(stream, events, expected),
    readStream: async (stream, from) => open(await store.readStream(stream, from)),
    readAll: async (after, limit) => open(await store.readAll(after, limit)),
    headPosition: () => store.headPosition(),
    subscribe: (after: bigint, handler: BatchHandler, options?: SubscribeOptions) =>
      store.subscribe(after, async (batch) => handler(await open(batch)), options),
    close: () => store.close(),
  };
}

function opened(e: RecordedEvent<string, { sub: string; pii: string }>, key: Uint8Array | null): RecordedEvent {
  const { pii, ...rest } = e.data;
  const data: PersonalData = (key && openPersonalData(key, pii)) || { username: ERASED, email: ERASED, name: ERASED };
  return { ...e, data: { ...rest, ...data } };
}

/**
 * The store read with no subject key at all: every sealed field reads `erased`. What `replay` uses, so that its
 * digest never depends on personal data, nor on which keys happen to exist where it runs.
 */
export const keylessPersonalDataStore = (store: EventStore): EventStore =>
  personalDataStore(store, { load: () => Promise.resolve(new Map()) });
