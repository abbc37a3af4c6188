import type { Decider } from '../decider.js';
import type { ThrottleScope } from './blocks.js';

/** A block that started on this instance: `until` in epoch ms. */
type ThrottleCommand = {
  type: 'RecordBlock';
  scope: ThrottleScope;
  tier: string;
  subject: string;
  failures: number;
  until: number;
  /** Attempts refused during the key's previous block on this instance (absent: none). */
  refused?: number;
};

/** The tier is one the event's schema names (checked on append, like every event). */
type ThrottleEvent = {
  type: 'ClientAuthenticationThrottled' | 'LoginThrottled';
  data: { tier: string; subject: string; failures: number; until: string; refused?: number };
};

const EVENT_TYPE = { client: 'ClientAuthenticationThrottled', login: 'LoginThrottled' } as const;

/** Every block that starts is recorded: the history of a key's blocks is what other instances continue from. */
export const throttleDecider: Decider<ThrottleCommand, null, ThrottleEvent> = {
  initialState: () => null,
  evolve: (state) => state,
  decide: ({ scope, tier, subject, failures, until, refused }) => [
    {
      type: EVENT_TYPE[scope],
      data: { tier, subject, failures, until: new Date(until).toISOString(), ...(refused ? { refused } : {}) },
    },
  ],
};
