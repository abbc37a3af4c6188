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
 * Read the stream, fold it, decide, append at the revision read. A concurrent writer makes the append
 * fail with ConcurrencyError; the decision is then made again on the fresh state, a few times.
 */
export async function handleCommand<C, S, E extends DomainEvent>(
  ledger: Ledger,
  stream: string,
  decider: Decider<C, S, E>,
  command: C,
  ctx: CommandContext,
  retries = 3,
): Promise<Handled<E>> {
  for (let attempt = 0; ; attempt++) {
    const recorded = await ledger.store.readStream(stream);
    const state = recorded.reduce((s, e) => decider.evolve(s, e as unknown as E), decider.initialState());
    const events = decider.decide(command, state);
    if (events.length === 0) return { events };
    const expected = recorded.length === 0 ? 'no_stream' : recorded[recorded.length - 1]!.revision;
    try {
      const result = await ledger.append(stream, events, expected, ctx);
      return { events, position: result.position };
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || attempt >= retries) throw err;
    }
  }
}
