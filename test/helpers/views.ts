import { v7 as uuidv7 } from 'uuid';
import { allProjections } from '../../projections/all.js';
import type { Projection } from '../../projections/projection.js';
import type { Views } from '../../src/application/queries/views.js';
import type { RecordedEvent } from '../../src/eventsourcing/eventStore.js';

let position = 0n;

/** An event as the ledger would deliver it to the views (`at`: its recorded time, epoch ms). */
export const recorded = (type: string, data: object, at = 1_000_000): RecordedEvent =>
  ({
    id: uuidv7(),
    type,
    stream: 's',
    revision: 0,
    position: ++position,
    recordedAt: new Date(at),
    data,
    metadata: {},
  }) as unknown as RecordedEvent;

/** Every view fed the events in order, as the projection runner would (no ledger, no server): the queries' port. */
export function viewsFrom(events: readonly RecordedEvent[]): Views & { feed(more: readonly RecordedEvent[]): void } {
  const states = new Map<string, any>(allProjections.map((p) => [p.name, p.initialState()]));
  const feed = (more: readonly RecordedEvent[]) => {
    for (const e of more)
      for (const p of allProjections) {
        const reducer = p.on[e.type];
        if (reducer) states.set(p.name, reducer(states.get(p.name), e));
      }
  };
  feed(events);
  const views = (<S>(p: Projection<S>): S => states.get(p.name) as S) as Views & { feed: typeof feed };
  views.feed = feed;
  return views;
}
