import { Type } from '@sinclair/typebox';
import { defineEvent, IsoDateTime } from '../events/catalogue.js';

/**
 * Streams whose every token had expired before `before` were deleted (`token-ledger prune`). The
 * ledger keeps this record so that `verify` accounts for exactly the events that are gone, and an
 * auditor can see what was pruned, when, and by whom.
 */
export const LedgerPruned = defineEvent(
  'LedgerPruned',
  1,
  Type.Object({
    before: IsoDateTime,
    streams: Type.Integer({ minimum: 0 }),
    events: Type.Integer({ minimum: 0 }),
    /** Events removed per stream category, e.g. { token: 120, grant: 40 }. */
    byCategory: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
    /** SHA-256 over the sorted "stream revision hash" lines of the pruned streams' last events. */
    digest: Type.String({ minLength: 64, maxLength: 64 }),
  }),
);

export const retentionEvents = [LedgerPruned];
export const PRUNE_STREAM = 'ledger-prunes';
