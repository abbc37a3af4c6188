import { readSinksState, type SinkPorts } from '../eventSinks.js';
import type { SinkCursors } from '../../feed/cursors.js';

/** A sink as operators see it (GraphQL, /metrics): never its secret. */
export interface EventSinkStatus {
  id: string;
  url: string;
  source: 'file' | 'ledger';
  types?: string[];
  categories?: string[];
  parkAfterSeconds: number;
  position: bigint;
  /** Ledger positions between the head and the sink's position (events the filter drops count too). */
  lag: bigint;
  lastError?: string;
  lastDeliveredAt?: Date;
  failingSince?: Date;
  parked: boolean;
}

/** Every sink with where it stands; the cursors are shared by every process, so any process answers alike. */
export async function eventSinkStatuses(
  ports: Pick<SinkPorts, 'events' | 'sinks'>,
  cursors: Pick<SinkCursors, 'all'>,
): Promise<EventSinkStatus[]> {
  const [state, all, head] = await Promise.all([
    readSinksState(ports),
    cursors.all(),
    ports.events.ledger.store.headPosition(),
  ]);
  const byId = new Map(all.map((c) => [c.sinkId, c]));
  const defs = [
    ...ports.sinks.fileSinks.map(({ secret: _s, ...s }) => s),
    ...[...state.sinks.values()].map(({ secret: _s, ...s }) => ({ ...s, source: 'ledger' as const })),
  ];
  return defs.map((d) => {
    const c = byId.get(d.id);
    const position = c?.position ?? 0n;
    return {
      ...d,
      position,
      lag: head > position ? head - position : 0n,
      ...(c?.lastError !== undefined && { lastError: c.lastError }),
      ...(c?.lastDeliveredAt && { lastDeliveredAt: c.lastDeliveredAt }),
      ...(c?.failingSince && { failingSince: c.failingSince }),
      parked: state.parked.has(d.id),
    };
  });
}
