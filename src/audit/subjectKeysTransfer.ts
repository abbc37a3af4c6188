import { closeSync, existsSync, fchmodSync, openSync, readFileSync, writeSync } from 'node:fs';
import { PRIVATE_FILE_MODE } from '../config/privateFiles.js';
import type { SubjectKeyRows } from '../crypto/subjectKeys.js';
import { ImportRefused } from './exportImport.js';

/** Beside an export: the subject keys, still wrapped under the key-encryption secret, so personal data moves too. */
export const subjectKeysFileOf = (exportFile: string) => `${exportFile}.subject-keys.ndjson`;

const SUB = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Writes every row (erased ones as null: the tombstone moves too); answers how many. */
export async function exportSubjectKeys(rows: SubjectKeyRows, exportFile: string): Promise<number> {
  const all = await rows.all();
  const fd = openSync(subjectKeysFileOf(exportFile), 'w', PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
    if (all.length > 0) writeSync(fd, `${all.map(([sub, wrapped]) => JSON.stringify({ sub, wrapped })).join('\n')}\n`);
  } finally {
    closeSync(fd);
  }
  return all.length;
}

/** Reads the keys written beside `exportFile`, if any, into `rows`; answers how many (0 without the file). */
export async function importSubjectKeys(rows: SubjectKeyRows, exportFile: string): Promise<number> {
  const file = subjectKeysFileOf(exportFile);
  if (!existsSync(file)) return 0;
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  const parsed = lines.map((line, i) => {
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      row = undefined;
    }
    const { sub, wrapped } = (row ?? {}) as { sub?: unknown; wrapped?: unknown };
    if (typeof sub !== 'string' || !SUB.test(sub) || !(wrapped === null || typeof wrapped === 'string'))
      throw new ImportRefused(`${file} line ${i + 1}: expected {"sub": <uuid>, "wrapped": <string|null>}`);
    return { sub, wrapped };
  });
  for (const { sub, wrapped } of parsed) {
    if (wrapped === null) await rows.tombstone(sub);
    else await rows.insertOrGet(sub, wrapped);
  }
  return parsed.length;
}
