import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import { securityEvents } from '../src/domain/security/events.js';
import { throttleEvents } from '../src/domain/throttle/events.js';
import { defineProjection } from './projection.js';

/** One security event as operators list it (GraphQL `securityEvents`). */
export interface SecurityEntry {
  id: string;
  type: string;
  stream: string;
  revision: number;
  position: bigint;
  recordedAt: Date;
  actor: string | null;
  correlationId: string | null;
  data: Record<string, unknown>;
}

/** The latest this many are listed; older ones stay in the ledger (GraphQL `events`, the export). */
export const SECURITY_EVENTS_KEPT = 10_000;

/**
 * The latest security events (logins, failed client authentications, consent, logouts, throttle blocks) in ledger
 * order: a bounded list, so that listing them never reads the ledger and a query is linear in at most
 * SECURITY_EVENTS_KEPT entries. Trimmed in halves, so that appending costs O(1) amortised.
 */
interface SecurityEventsView {
  entries: SecurityEntry[];
}

function keep(view: SecurityEventsView, e: RecordedEvent): SecurityEventsView {
  view.entries.push({
    id: e.id,
    type: e.type,
    stream: e.stream,
    revision: e.revision,
    position: e.position,
    recordedAt: e.recordedAt,
    actor: e.metadata.actor ?? null,
    correlationId: e.metadata.correlationId ?? null,
    data: e.data as Record<string, unknown>,
  });
  if (view.entries.length >= 2 * SECURITY_EVENTS_KEPT)
    view.entries.splice(0, view.entries.length - SECURITY_EVENTS_KEPT);
  return view;
}

export const securityEventsProjection = defineProjection<SecurityEventsView>({
  name: 'securityEvents',
  version: 1,
  initialState: () => ({ entries: [] }),
  on: Object.fromEntries([...securityEvents, ...throttleEvents].map((d) => [d.type, keep])),
});
