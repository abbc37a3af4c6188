import { randomUUID } from 'node:crypto';
import type { Ports } from './ports.js';
import type { SharedBlocks } from '../security/escalatingThrottle.js';
import { throttleDecider } from '../domain/throttle/decide.js';
import { throttleStream } from '../domain/throttle/streams.js';
import { recordedBlock } from './queries/throttles.js';
import { execute } from './execute.js';

/**
 * The throttles' link to the ledger: blocks read from the `throttles` view (every instance's), and
 * a block that starts here recorded durably. Recording waits for durability but not for the view:
 * this instance already holds the block in memory. A ledger that cannot take the write costs the
 * sharing, not the answer: the failed request is still answered 401 and the block holds locally.
 */
export function ledgerBlocks(
  ports: Pick<Ports, 'events' | 'views'>,
  log?: { warn(obj: object, msg: string): void },
): SharedBlocks {
  return {
    get(scope, tier, subject) {
      return recordedBlock(ports.views, scope, tier, subject);
    },
    async publish(block, correlationId = randomUUID()) {
      const { scope, tier, subject, failures, until, refused } = block;
      try {
        await execute(
          ports.events,
          throttleStream(block),
          throttleDecider,
          { type: 'RecordBlock', scope, tier, subject, failures, until, ...(refused && { refused }) },
          { actor: 'system', correlationId },
          // Nothing to read: the decider keeps no state, and the stream also holds the key's failed attempts.
          { waitForViews: false, unconditional: true },
        );
      } catch (err) {
        log?.warn({ err: (err as Error).message, scope: block.scope, tier: block.tier }, 'throttle block not recorded');
      }
    },
  };
}
