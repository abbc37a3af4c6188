import { describe } from 'node:test';
import { PostgresCursors } from '../../src/feed/postgresCursors.js';
import { openPostgresEventStore } from '../../src/stores/postgres/postgresEventStore.js';
import { sinkCursorsBehaviour } from '../feed/cursorsBehaviour.js';
import { createTestDatabase, postgresSkip } from './database.js';

describe('sink cursors in the PostgreSQL ledger (sink_cursors)', { skip: postgresSkip }, () => {
  sinkCursorsBehaviour(async () => {
    const db = await createTestDatabase();
    // The store creates the table with the ledger's schema.
    await (await openPostgresEventStore(db.settings())).close();
    return { handle: () => new PostgresCursors(db.settings()), done: () => db.drop() };
  });
});
