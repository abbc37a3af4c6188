import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteEventStore } from '../../src/stores/sqlite/sqliteEventStore.js';
import { runEventStoreContract } from './eventStoreContract.js';

const dir = mkdtempSync(join(tmpdir(), 'ledger-contract-'));
const file = join(dir, 'ledger.sqlite');

runEventStoreContract('embedded sqlite', {
  open: () => openSqliteEventStore(file),
  openAnother: () => openSqliteEventStore(file),
  cleanup: async () => rmSync(dir, { recursive: true, force: true }),
});
