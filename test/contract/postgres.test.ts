import { test } from 'node:test';
import { openPostgresEventStore } from '../../src/stores/postgres/postgresEventStore.js';
import { createTestDatabase, postgresSkip, type TestDatabase } from '../postgres/database.js';
import { runEventStoreContract } from './eventStoreContract.js';

if (postgresSkip) {
  console.log(postgresSkip);
  test('event store contract: postgres', { skip: postgresSkip }, () => {});
} else {
  let db: TestDatabase | undefined;
  const database = async () => (db ??= await createTestDatabase());
  runEventStoreContract('postgres', {
    open: async () => openPostgresEventStore((await database()).settings()),
    openAnother: async () => openPostgresEventStore((await database()).settings()),
    cleanup: async () => db?.drop(),
  });
}
