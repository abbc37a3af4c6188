import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { ensurePrivateDir, ensurePrivateFile } from '../config/privateFiles.js';
import { SUBJECT_KEYS_FILE, sqliteSubjectKeyRows } from '../stores/sqlite/subjectKeys.js';
import { wrappedSubjectKeys, type SubjectKeyRows, type SubjectKeys } from './subjectKeys.js';

/**
 * The subject keys' rows beside the configured ledger: a table in PostgreSQL, else a file of their own in the data
 * directory. EventStoreDB has no mutable table, so beside it too the keys are in that file: every instance
 * sharing an EventStoreDB ledger must then share the data directory's key file (docs/audit-erasure.md).
 * `existingOnly`: undefined rather than creating an embedded key file that is not there (export of an old ledger).
 */
export async function openSubjectKeyRows(
  config: Config,
  { existingOnly = false }: { existingOnly?: boolean } = {},
): Promise<SubjectKeyRows | undefined> {
  if (config.database) {
    const { postgresSubjectKeyRows } = await import('../stores/postgres/subjectKeys.js');
    return postgresSubjectKeyRows(config.database);
  }
  const file = join(config.dataDir, SUBJECT_KEYS_FILE);
  if (existingOnly && !existsSync(file)) return undefined;
  ensurePrivateDir(config.dataDir);
  ensurePrivateFile(file);
  return sqliteSubjectKeyRows(file);
}

/** The subject keys, wrapped and unwrapped under the server's key-encryption secret. */
export async function openSubjectKeys(config: Config, secret: string): Promise<SubjectKeys> {
  return wrappedSubjectKeys((await openSubjectKeyRows(config))!, secret);
}
