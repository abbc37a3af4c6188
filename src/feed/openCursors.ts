import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { SinkCursors } from './cursors.js';
import { PostgresCursors } from './postgresCursors.js';
import { SqliteCursors } from './sqliteCursors.js';

const FEED_FILE = 'feed.sqlite';

/**
 * The sinks' positions, opened on first use (a CLI command that never asks opens nothing). On a PostgreSQL ledger they
 * live in its database, so every host shares the leases; otherwise in DATA_DIR/feed.sqlite, shared by the processes
 * of that data directory only: on EventStoreDB all but one host run with EVENT_SINKS_DELIVERY=off (docs/audit-feed.md).
 */
export function lazyCursors(config: Pick<Config, 'dataDir' | 'database'>): { get(): SinkCursors; close(): void } {
  let cursors: SinkCursors | undefined;
  const open = (): SinkCursors =>
    config.database ? new PostgresCursors(config.database) : new SqliteCursors(join(config.dataDir, FEED_FILE));
  return {
    get: () => (cursors ??= open()),
    close: () => cursors?.close(),
  };
}
