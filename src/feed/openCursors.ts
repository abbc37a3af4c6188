import { join } from 'node:path';
import type { SinkCursors } from './cursors.js';
import { SqliteCursors } from './sqliteCursors.js';

const FEED_FILE = 'feed.sqlite';

/**
 * The sinks' positions, opened on first use (a CLI command that never asks opens nothing). They live in
 * DATA_DIR/feed.sqlite whatever the ledger: processes sharing a data directory share the leases; processes on other
 * hosts (PostgreSQL, EventStoreDB) do not, so all but one run with EVENT_SINKS_DELIVERY=off (docs/audit-feed.md).
 */
export function lazyCursors(dataDir: string): { get(): SinkCursors; close(): void } {
  let cursors: SinkCursors | undefined;
  return {
    get: () => (cursors ??= new SqliteCursors(join(dataDir, FEED_FILE))),
    close: () => cursors?.close(),
  };
}
