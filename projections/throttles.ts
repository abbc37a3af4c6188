import type { ClientAuthenticationThrottledEvent, LoginThrottledEvent } from '../src/domain/throttle/events.js';
import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import { sharedKey, type Block, type ThrottleScope } from '../src/domain/throttle/blocks.js';
import { defineProjection } from './projection.js';

/**
 * Brute-force blocks recorded by any instance, keyed as the throttles count them
 * (`client/ip/192.0.2.1`, `login/account/<hmac>` …): every instance refuses a blocked key, whichever
 * instance saw the failures. The latest block per key wins (longest `until`, highest count).
 *
 * No wall clock here (a replay must rebuild the same view): blocks are dropped a day after they
 * ended, judged by the time the ledger recorded the latest throttle event, at most once a minute of
 * that clock. A day outlasts any window a throttle adopts a recorded count for by default.
 */
interface ThrottlesView {
  blocks: Map<string, Block>;
  /** recordedAt (epoch ms) of the last sweep. */
  sweptAt: number;
}

const RETAIN_MS = 24 * 60 * 60 * 1000;
const SWEEP_EVERY_MS = 60_000;

function apply(scope: ThrottleScope) {
  return (view: ThrottlesView, event: RecordedEvent): ThrottlesView => {
    const { tier, subject, failures, until } = (
      event as unknown as ClientAuthenticationThrottledEvent | LoginThrottledEvent
    ).data;
    const key = sharedKey(scope, tier, subject);
    const ends = Date.parse(until);
    const known = view.blocks.get(key);
    view.blocks.set(key, {
      until: Math.max(ends, known?.until ?? 0),
      failures: Math.max(failures, known?.failures ?? 0),
    });
    const clock = event.recordedAt.getTime();
    if (clock - view.sweptAt >= SWEEP_EVERY_MS) {
      view.sweptAt = clock;
      for (const [k, b] of view.blocks) if (b.until + RETAIN_MS < clock) view.blocks.delete(k);
    }
    return view;
  };
}

export const throttlesProjection = defineProjection<ThrottlesView>({
  name: 'throttles',
  version: 1,
  initialState: () => ({ blocks: new Map(), sweptAt: 0 }),
  on: { ClientAuthenticationThrottled: apply('client'), LoginThrottled: apply('login') },
});
