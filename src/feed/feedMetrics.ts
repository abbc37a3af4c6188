import { Counter, Gauge, type Registry } from 'prom-client';
import { eventSinkStatuses } from '../application/queries/eventSinks.js';
import type { Runtime } from '../runtime.js';

const sinkPorts = (runtime: Runtime) => ({ events: runtime.ports.events, sinks: runtime.config.eventSinks });

/**
 * Per sink: position, lag, parked and failing, read from the shared cursors at scrape time (so every process
 * reports the same, whichever delivers); and this process's delivery attempts. Label values are sink ids: bounded
 * by what operators configure.
 */
export function registerFeedMetrics(registry: Registry, runtime: Runtime) {
  const gauge = (
    name: string,
    help: string,
    pick: (s: Awaited<ReturnType<typeof eventSinkStatuses>>[number]) => number,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['sink'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const s of await eventSinkStatuses(sinkPorts(runtime), runtime.sinkCursors()))
          this.set({ sink: s.id }, pick(s));
      },
    });
  gauge('event_sink_position', 'Ledger position each sink has received (or skipped by its filter)', (s) =>
    Number(s.position),
  );
  gauge('event_sink_lag_events', "Ledger positions between the head and each sink's position", (s) => Number(s.lag));
  gauge('event_sink_parked', '1 when the sink is parked after failing for parkAfterSeconds', (s) => (s.parked ? 1 : 0));
  gauge('event_sink_failing', '1 while every attempt to the sink fails', (s) => (s.failingSince ? 1 : 0));
  const attempts = new Counter({
    name: 'event_sink_attempts_total',
    help: 'Delivery attempts of this process, by sink and outcome',
    labelNames: ['sink', 'outcome'],
    registers: [registry],
  });
  return (sink: string, outcome: 'delivered' | 'failed') => attempts.inc({ sink, outcome });
}
