/**
 * An aggregate's rules as three pure functions (Emmett's Decider): the state before the first event,
 * how an event changes it, and which events a command produces on it. Time comes in the command.
 */
export interface Decider<C, S, E> {
  initialState: () => S;
  evolve: (state: S, event: E) => S;
  decide: (command: C, state: S) => E[];
}
