import type { Projection } from '../../../projections/projection.js';

/**
 * The one port queries read through: the current state of a view. Adapters hand queries this, never
 * the whole runtime, so a query can be tested over views fed by hand and cannot reach the ledger.
 */
export type Views = <S>(projection: Projection<S>) => S;

/** The port over a projection runner; build it once (at route registration), not per request. */
export const viewsOf =
  (runner: { view<S>(projection: Projection<S>): S }): Views =>
  (projection) =>
    runner.view(projection);
