import { sharedKey, type Block, type ThrottleScope } from '../../domain/throttle/blocks.js';
import { throttlesProjection } from '../../../projections/throttles.js';
import type { Views } from './views.js';

/**
 * The block any instance recorded for this throttle key, if one is remembered. On every throttled request:
 * the view is usually empty, and then no key is even built.
 */
export function recordedBlock(views: Views, scope: ThrottleScope, tier: string, subject: string): Block | undefined {
  const view = views(throttlesProjection);
  return view === undefined || view.blocks.size === 0 ? undefined : view.blocks.get(sharedKey(scope, tier, subject));
}
