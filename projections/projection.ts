import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';

/** Changes `state` in place to account for `event`, and returns it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each reducer names its own event's data type
type Reducer<S> = (state: S, event: RecordedEvent<string, any>) => S;

/**
 * A view built from the ledger: a reducer per event type. The list of event types it handles is the
 * reducer map's keys — never a second, hand-kept list. `version` is bumped whenever the reducers
 * change meaning, which makes a stored checkpoint of this view stale (rebuilt from zero).
 *
 * Reducers mutate the state in place and return it (views hold millions of entries; a copy per event
 * is not affordable): a state is owned by its projection and the runner, and is not shared with
 * anything that expects it to stay still. A reducer is deterministic — the same events in the same
 * order give the same state — and reads time only from the event (`recordedAt`), never the clock.
 * Readers go through src/application/queries/, never the state's fields.
 */
export interface Projection<S> {
  name: string;
  version: number;
  initialState: () => S;
  on: Record<string, Reducer<S>>;
}

export function defineProjection<S>(p: Projection<S>): Projection<S> {
  return p;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const handledTypes = (p: Projection<any>): string[] => Object.keys(p.on);
