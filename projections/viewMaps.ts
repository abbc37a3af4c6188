import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';

/** An event's data as the reducer for its type knows it. */
export const dataOf = <T>(e: RecordedEvent): T => (e as unknown as { data: T }).data;

/** Adds `value` to the set under `key`, creating it. */
export function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

/** Removes `value` from the set under `key`, and the set once it is empty. */
export function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  set?.delete(value);
  if (set?.size === 0) map.delete(key);
}
