import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { ensurePrivateDir, ensurePrivateFile } from '../config/privateFiles.js';
import { SUBJECT_KEYS_FILE, sqliteSubjectKeyRows } from '../stores/sqlite/subjectKeys.js';
import { wrappedSubjectKeys, type SubjectKeys } from './subjectKeys.js';

/**
 * The subject keys beside the configured ledger: a table in PostgreSQL, else a file of their own in the data
 * directory. EventStoreDB has no mutable table, so beside it too the keys are in that file: every instance
 * sharing an EventStoreDB ledger must then share the data directory's key file (docs/audit-erasure.md).
 */
export async function openSubjectKeys(config: Config, secret: string): Promise<SubjectKeys> {
  if (config.database) {
    const { postgresSubjectKeyRows } = await import('../stores/postgres/subjectKeys.js');
    return wrappedSubjectKeys(await postgresSubjectKeyRows(config.database), secret);
  }
  ensurePrivateDir(config.dataDir);
  const file = join(config.dataDir, SUBJECT_KEYS_FILE);
  ensurePrivateFile(file);
  return wrappedSubjectKeys(sqliteSubjectKeyRows(file), secret);
}
