import { activeTokenCount, activeTokensProjection } from '../../../projections/activeTokens.js';
import { lastSealProjection, type LastSeal } from '../../../projections/lastSeal.js';
import type { Views } from './views.js';

/** Where the views stand: what /metrics and the console's ledgerStatus both read. */
interface RunnerPositions {
  readonly position: bigint;
  readonly durablePosition: bigint | undefined;
}

/** Ledger positions between the head and what the in-memory views have applied. */
export const viewLag = (runner: RunnerPositions, head: bigint): number => Number(head - runner.position);

/** Ledger positions the history index is behind the in-memory views (0 when there is none). */
export const historyIndexLag = (runner: RunnerPositions): number =>
  Number(runner.position - (runner.durablePosition ?? runner.position));

/** Access tokens in the active-token view (live, or expired and not yet evicted). */
export const liveAccessTokens = (views: Views): number => activeTokenCount(views(activeTokensProjection));

/** The latest seal; null when never sealed (or when the runner keeps no such view, as in some tests). */
export const lastSeal = (views: Views): LastSeal | null => views(lastSealProjection)?.seal ?? null;
