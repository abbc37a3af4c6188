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
