import { ConcurrencyError } from './eventStore.js';
import type { CommandContext, DomainEvent, Ledger } from './ledger.js';

export interface Decider<C, S, E extends DomainEvent> {
  initialState: () => S;
  evolve: (state: S, event: E) => S;
  decide: (command: C, state: S) => E[];
}

export interface Handled<E> {
  events: E[];
  /** Position of the last event written (undefined when the decision was to write nothing). */
  position?: bigint;
}

/**
 * Folded states of recently used streams, so a long-lived stream (a grant rotated a thousand times)
 * is not replayed from its first event on every command: only the events after the cached revision
 * are read. A state here always equals the fold of the stream up to its revision, so another
 * instance's appends are simply read on the next command. Commands on one stream take turns in this
 * process, so a cached state is folded by one command at a time and never needs copying.
 */
export class StateCache {
  private readonly states = new Map<string, { revision: number; state: unknown }>();
  private readonly turns = new Map<string, Promise<unknown>>();
  constructor(private readonly max = 10_000) {}

  get<S>(stream: string): { revision: number; state: S } | undefined {
    const hit = this.states.get(stream);
    if (!hit) return undefined;
    // Map order is insertion order: re-inserting makes it the most recently used.
    this.states.delete(stream);
    this.states.set(stream, hit);
    return hit as { revision: number; state: S };
  }

  set(stream: string, revision: number, state: unknown): void {
    this.states.delete(stream);
    this.states.set(stream, { revision, state });
    if (this.states.size > this.max) this.states.delete(this.states.keys().next().value!);
  }

  forget(stream: string): void {
    this.states.delete(stream);
  }

  /** Runs `fn` after every earlier call for the same stream has settled. */
  async inTurn<T>(stream: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.turns.get(stream) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.turns.set(stream, settled);
    try {
      return await run;
    } finally {
      if (this.turns.get(stream) === settled) this.turns.delete(stream);
    }
  }
}

/**
 * Read the stream, fold it, decide, append at the revision read. A concurrent writer makes the append
 * fail with ConcurrencyError; the decision is then made again on the fresh state, a few times.
 */
export async function handleCommand<C, S, E extends DomainEvent>(
  ledger: Ledger,
  stream: string,
  decider: Decider<C, S, E>,
  command: C,
  ctx: CommandContext,
  options: { retries?: number; cache?: StateCache } = {},
): Promise<Handled<E>> {
  const { retries = 3, cache } = options;
  if (cache) return cache.inTurn(stream, () => decideAndAppend(ledger, stream, decider, command, ctx, retries, cache));
  return decideAndAppend(ledger, stream, decider, command, ctx, retries);
}

async function decideAndAppend<C, S, E extends DomainEvent>(
  ledger: Ledger,
  stream: string,
  decider: Decider<C, S, E>,
  command: C,
  ctx: CommandContext,
  retries: number,
  cache?: StateCache,
): Promise<Handled<E>> {
  for (let attempt = 0; ; attempt++) {
    const cached = cache?.get<S>(stream);
    let state = cached?.state ?? decider.initialState();
    let revision = cached?.revision ?? -1;
    try {
      for (const e of await ledger.store.readStream(stream, revision + 1)) {
        state = decider.evolve(state, e as unknown as E);
        revision = e.revision;
      }
    } catch (err) {
      // A fold that failed half-way may have changed the cached state: start from scratch next time.
      cache?.forget(stream);
      throw err;
    }
    if (cache && revision >= 0) cache.set(stream, revision, state);
    const events = decider.decide(command, state);
    if (events.length === 0) return { events };
    const expected = revision < 0 ? 'no_stream' : revision;
    try {
      const result = await ledger.append(stream, events, expected, ctx);
      return { events, position: result.position };
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || attempt >= retries) throw err;
    }
  }
}
