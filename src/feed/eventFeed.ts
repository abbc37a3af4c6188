import { randomUUID } from 'node:crypto';
import { parkEventSink, readSinksState, resolveSinks, type SinkPorts } from '../application/eventSinks.js';
import { SINKS_STREAM } from '../domain/sinks/events.js';
import type { EventStore, Subscription } from '../eventsourcing/eventStore.js';
import type { SinkCursors } from './cursors.js';
import { LEASE_MS, SinkDelivery, type DeliveryDeps } from './delivery.js';
import { ownerName } from './owner.js';

type Log = { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };

/**
 * The outbound feed of one process: a delivery per sink that is not parked. A subscription to the ledger only
 * wakes them (cheap, off the request path) and tells when the sinks themselves changed; each delivery reads the
 * ledger from its own stored position.
 */
export class EventFeed {
  readonly owner = ownerName(randomUUID());
  private readonly deliveries = new Map<string, SinkDelivery>();
  private readonly opened = new Map<string, string>();
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;
  private reloading: Promise<void> = Promise.resolve();
  private parked = new Set<string>();
  private stopped = false;

  constructor(
    private readonly ports: SinkPorts & { store: EventStore; issuer: string },
    private readonly cursors: SinkCursors,
    private readonly log: Log,
    private readonly observe?: DeliveryDeps['observe'],
  ) {}

  async start(): Promise<void> {
    await this.reload();
    const head = await this.ports.store.headPosition();
    this.subscription = this.ports.store.subscribe(
      head,
      (events) => {
        if (events.some((e) => e.stream === SINKS_STREAM)) this.scheduleReload();
        for (const d of this.deliveries.values()) d.wake();
      },
      { onError: (err) => this.log.warn({ err }, 'event feed subscription failed; deliveries poll the ledger') },
    );
    // Leases of another process that died are taken over, and appends of other processes are noticed, within this.
    this.timer = setInterval(() => {
      for (const d of this.deliveries.values()) d.wake();
    }, LEASE_MS / 3);
    this.timer.unref();
  }

  private scheduleReload(): void {
    this.reloading = this.reloading
      .then(() => this.reload())
      .catch((err: unknown) => this.log.warn({ err }, 'event sinks could not be reloaded'));
  }

  /** Starts a delivery per sink that is not parked, stops those of removed, parked or changed sinks. */
  private async reload(): Promise<void> {
    if (this.stopped) return;
    const state = await readSinksState(this.ports);
    const sinks = await resolveSinks(this.ports, state, this.opened);
    const wanted = new Map(sinks.filter((s) => !state.parked.has(s.id)).map((s) => [s.id, s]));
    for (const [id, d] of this.deliveries) {
      const next = wanted.get(id);
      if (next && JSON.stringify(next) === JSON.stringify(d.sink)) continue;
      this.deliveries.delete(id);
      await d.stop();
    }
    for (const [id, sink] of wanted) {
      if (this.deliveries.has(id)) continue;
      // A resumed sink's failures start counting again.
      if (this.parked.has(id)) await this.cursors.clearFailure(id);
      const d = new SinkDelivery(sink, {
        store: this.ports.store,
        cursors: this.cursors,
        owner: this.owner,
        issuer: this.ports.issuer,
        timeoutMs: this.ports.sinks.timeoutMs,
        retryMaxMs: this.ports.sinks.retryMaxMs,
        park: (s, cursor) => this.park(s.id, cursor),
        observe: this.observe,
        warn: (obj, msg) => this.log.warn(obj, msg),
      });
      this.deliveries.set(id, d);
      d.start();
    }
    this.parked = new Set(state.parked.keys());
  }

  private async park(id: string, cursor: { position: bigint; failingSince?: Date; lastError?: string }) {
    const lastError = cursor.lastError ?? 'unknown';
    this.log.warn({ sink: id, position: cursor.position.toString(), lastError }, 'event sink parked');
    await parkEventSink(
      this.ports,
      { id, position: cursor.position, failingSince: cursor.failingSince ?? new Date(), lastError },
      { actor: 'system', correlationId: randomUUID() },
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.subscription?.close();
    await this.reloading;
    await Promise.all([...this.deliveries.values()].map((d) => d.stop()));
    this.deliveries.clear();
    await this.cursors.release(this.owner);
  }
}
