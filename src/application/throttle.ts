import { randomUUID } from 'node:crypto';
import type { Runtime } from '../runtime.js';
import type { PublishedBlock, SharedBlocks } from '../oauth/escalatingThrottle.js';
import { sharedKey } from '../domain/throttle/blocks.js';
import { sha256 } from '../tokens/hash.js';
import { throttlesProjection } from '../../projections/throttles.js';

/** One stream per counted key: its history of blocks, without naming the key in the stream id. */
export const throttleStream = (b: Pick<PublishedBlock, 'scope' | 'tier' | 'subject'>) =>
  `throttle-${sha256(`${b.scope}\0${b.tier}\0${b.subject}`)}`;

const EVENT_TYPE = { client: 'ClientAuthenticationThrottled', login: 'LoginThrottled' } as const;

/**
 * The throttles' link to the ledger: blocks read from the `throttles` view (every instance's), and
 * a block that starts here recorded durably. Recording waits for durability but not for the view:
 * this instance already holds the block in memory. A ledger that cannot take the write costs the
 * sharing, not the answer: the failed request is still answered 401 and the block holds locally.
 */
export function ledgerBlocks(rt: Runtime, log?: { warn(obj: object, msg: string): void }): SharedBlocks {
  return {
    get(scope, tier, subject) {
      const view = rt.runner.view(throttlesProjection);
      // Usually empty: then no key is even built.
      return view === undefined || view.blocks.size === 0
        ? undefined
        : view.blocks.get(sharedKey(scope, tier, subject));
    },
    async publish(block, correlationId = randomUUID()) {
      const event = {
        type: EVENT_TYPE[block.scope],
        data: {
          tier: block.tier,
          subject: block.subject,
          failures: block.failures,
          until: new Date(block.until).toISOString(),
        },
      };
      try {
        await rt.ledger.append(throttleStream(block), [event], 'any', { actor: 'system', correlationId });
      } catch (err) {
        log?.warn({ err: (err as Error).message, scope: block.scope, tier: block.tier }, 'throttle block not recorded');
      }
    },
  };
}
