import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

/**
 * DATA_DIR holds password hashes, encrypted signing keys and the views built from them: readable by
 * the server's user only. The modes are set explicitly (chmod after creation), so a permissive or an
 * odd umask changes nothing. What already exists is left as the operator made it: a directory or a
 * file they chose to share (a backup agent's group) is their decision, reported by
 * `sharedDataDirWarning`, never silently undone.
 */
const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) when absent; a directory this call created is mode 0700. */
export function ensurePrivateDir(dir: string): void {
  if (existsSync(dir)) return;
  const first = mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  // Parents above DATA_DIR that this call created are left to the umask: only the leaf holds secrets.
  if (first !== undefined) chmodSync(dir, PRIVATE_DIR_MODE);
}

/**
 * Creates `file` empty with mode 0600 when absent, before a library (SQLite) opens it: SQLite then
 * gives the -wal and -shm files it creates beside it the same mode. An existing file is untouched.
 * Returns whether this call created it.
 */
export function ensurePrivateFile(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', PRIVATE_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    chmodSync(file, PRIVATE_FILE_MODE);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** One line for the log when an existing DATA_DIR lets other users in; undefined when it does not. */
export function sharedDataDirWarning(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return undefined;
  return (
    `DATA_DIR ${dir} is mode ${mode.toString(8).padStart(4, '0')}: other users can list it (it holds password ` +
    `hashes and encrypted keys); chmod 700 ${dir} unless this is intended`
  );
}
