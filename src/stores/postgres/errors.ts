import { StoreCorruptError, StoreUnavailableError } from '../../eventsourcing/eventStore.js';
import { NETWORK_ERRNO as STORE_NETWORK_ERRNO } from '../networkErrors.js';

// SQLSTATE classes and codes (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const CONNECTION_CLASS = '08';
const INSUFFICIENT_RESOURCES = '53';
const OPERATOR_INTERVENTION = '57'; // admin shutdown, crash shutdown, statement timeout (57014)
const TRANSIENT = new Set(['40001', '40P01', '55P03', '25006']);
// And no route to the database's network at all (ENETUNREACH).
const NETWORK_ERRNO = new Set([...STORE_NETWORK_ERRNO, 'ENETUNREACH']);

const sqlstate = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
};

/** The server, or the path to it, is down, busy or timed out: worth retrying later. */
function isTransient(err: unknown): boolean {
  const state = sqlstate(err);
  if (state) {
    return (
      state.startsWith(CONNECTION_CLASS) ||
      state.startsWith(INSUFFICIENT_RESOURCES) ||
      state.startsWith(OPERATOR_INTERVENTION) ||
      TRANSIENT.has(state)
    );
  }
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  if (code && NETWORK_ERRNO.has(code)) return true;
  // node-postgres reports its own client-side failures as plain Errors.
  return /Connection terminated|timeout|not queryable|Client has encountered a connection error/i.test(err.message);
}

/** One line, naming neither the URL nor the password (the server's messages never include it). */
export function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const line = message.split('\n', 1)[0].trim() || (err instanceof Error ? err.name : 'unknown error');
  const state = sqlstate(err);
  if (state === '57014') return 'a statement exceeded DATABASE_STATEMENT_TIMEOUT_MS';
  if (state === '28P01' || state === '28000') return `${line} (check the user and password in DATABASE_URL)`;
  if (state === '3D000') return `${line} (create it, or name another database in DATABASE_URL)`;
  if (state === '25006') return `${line}: the server is read-only (a standby?); token-ledger needs a writable primary`;
  return line;
}

/** Maps a driver error onto the port's error classes; anything else (a bug) passes through. */
export function translateError(err: unknown, target: string): Error {
  if (err instanceof StoreUnavailableError || err instanceof StoreCorruptError) return err;
  if (isTransient(err))
    return new StoreUnavailableError(`PostgreSQL ledger at ${target} is unavailable: ${reasonOf(err)}`, { cause: err });
  if (sqlstate(err)?.startsWith('42') || sqlstate(err)?.startsWith('28')) {
    // Undefined table or column, insufficient privilege: the database changed under us, or the role cannot use it.
    return new StoreUnavailableError(`PostgreSQL ledger at ${target} refused: ${reasonOf(err)}`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}
