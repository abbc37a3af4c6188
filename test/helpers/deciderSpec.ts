import assert from 'node:assert/strict';
import type { Decider } from '../../src/domain/decider.js';

/** What a decision is checked against: the events it produced, or the error it threw. */
export interface DecisionThen<S, E> {
  then(expected: E[]): void;
  /** `check` as node's assert.throws takes it: an error class, a RegExp on the message, or a predicate. */
  thenThrows(check?: Parameters<typeof assert.throws>[1]): void;
  /** The events decided, for assertions on their shape rather than their exact value. */
  events(): E[];
  /** The state the command was decided on. */
  state(): S;
}

/**
 * given(events).when(command).then(events) / .thenThrows(check), as Emmett's DeciderSpecification:
 * the events are folded with the decider's evolve, the command decided on the result.
 */
export function deciderSpec<C, S, E>(decider: Decider<C, S, E>) {
  return {
    // A property, not a method: tests take it apart (`const { given } = deciderSpec(…)`).
    given: (history: E[]) => {
      const state = () => history.reduce(decider.evolve, decider.initialState());
      return {
        state,
        when(command: C): DecisionThen<S, E> {
          const decide = () => decider.decide(command, state());
          return {
            then: (expected) => assert.deepEqual(decide(), expected),
            thenThrows: (check) => assert.throws(decide, check ?? Error),
            events: decide,
            state,
          };
        },
      };
    },
  };
}
