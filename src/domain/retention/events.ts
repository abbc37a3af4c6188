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
    /**
     * The Merkle tree's leaves the prune removed, as runs of consecutive leaf indexes each kept as its compact range
     * (src/eventsourcing/merkle.ts): the tree, and so every seal, can still be recomputed. Absent on prunes made
     * before the ledger was sealed.
     */
    merkle: Type.Optional(
      Type.Array(
        Type.Object(
          {
            start: Type.Integer({ minimum: 0 }),
            end: Type.Integer({ minimum: 1 }),
            nodes: Type.Array(Type.String({ minLength: 43, maxLength: 43 }), { maxItems: 128 }),
          },
          { additionalProperties: false },
        ),
      ),
    ),
  }),
);

export const retentionEvents = [LedgerPruned];
export const PRUNE_STREAM = 'ledger-prunes';
