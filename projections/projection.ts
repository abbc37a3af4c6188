import type { RecordedEvent } from '../src/ledger/eventStore.js';

type Reducer<S> = (state: S, event: RecordedEvent<string, any>) => S;

/**
 * A view built from the ledger: a pure reducer per event type. The list of event types it handles
 * is the reducer map's keys — never a second, hand-kept list. `version` is bumped whenever the
 * reducers change meaning, which makes a stored checkpoint of this view stale (rebuilt from zero).
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
