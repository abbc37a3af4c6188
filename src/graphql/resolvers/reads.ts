import type { Runtime } from '../../runtime.js';
import { GraphQLError } from 'graphql';
import type { HistoryQueries } from '../../../projections/historyQueries.js';
import { WaitTimeoutError } from '../../eventsourcing/waitTimeout.js';

/** The history index once it holds everything this instance's views do: an operator reads their own writes. */
export async function historyOf(rt: Runtime): Promise<HistoryQueries> {
  try {
    await rt.runner.settleDurable();
  } catch (err) {
    if (err instanceof WaitTimeoutError)
      throw new GraphQLError('the history index is catching up with the ledger; try again shortly', {
        extensions: { code: 'UNAVAILABLE' },
      });
    throw err;
  }
  return rt.history;
}
