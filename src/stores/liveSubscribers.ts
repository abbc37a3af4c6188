import type { Subscription } from '../eventsourcing/eventStore.js';

/** A subscription that reads on by position whenever it is pumped. */
interface Pumped {
  pump(): void;
  behind(head: bigint): boolean;
  stop(): Promise<void>;
}

/** The live subscriptions of a store that reads by position (SQLite, PostgreSQL), started and stopped alike. */
export class LiveSubscribers<S extends Pumped> implements Iterable<S> {
  private readonly subs = new Set<S>();

  get size(): number {
    return this.subs.size;
  }

  [Symbol.iterator](): Iterator<S> {
    return this.subs.values();
  }

  /** Starts `sub` (it reads what is already there) and hands out the port's handle on it. */
  start(sub: S): Subscription {
    this.subs.add(sub);
    sub.pump();
    return {
      close: async () => {
        this.subs.delete(sub);
        await sub.stop();
      },
    };
  }

  /**
   * A caller that asks for the head usually waits for its subscriptions to reach it (strict reads): those behind it
   * read now rather than on the next notification or poll, which may be late or lost.
   */
  catchUp(head: bigint): void {
    for (const sub of this.subs) if (sub.behind(head)) sub.pump();
  }

  pumpAll(): void {
    for (const sub of this.subs) sub.pump();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.subs].map((s) => s.stop()));
    this.subs.clear();
  }
}
