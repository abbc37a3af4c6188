/**
 * TEST-ONLY fault injection for the embedded ledger's writer thread, used by the fault suite
 * (test/faults). Off unless TOKEN_LEDGER_FAILPOINT is set, which nothing outside that suite does;
 * a value it does not understand stops the writer rather than being silently ignored.
 *
 *   commit-delay:<ms>         every group commit, after its inserts and before its COMMIT, writes
 *                             `failpoint commit-delay: holding {"appends":n,"ids":[...]}` on stderr
 *                             and then sleeps <ms> inside the open transaction, so that a SIGKILL
 *                             can be aimed inside a commit (the ids let the test prove it was).
 *   disk-full:<flag file>     while <flag file> exists the ledger file may not grow: SQLite's
 *                             max_page_count is pinned at the file's current size, so a write that
 *                             needs a new page fails with SQLITE_FULL exactly as on a full disk;
 *                             when the file is gone, the limit is lifted again.
 *
 * Several may be given, separated by commas. The value is read once, when the writer starts.
 */
import { existsSync, writeSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { AppendRequest } from './protocol.js';

interface Failpoints {
  /** Runs inside the batch's transaction, after its inserts, before COMMIT. */
  beforeCommit(batch: AppendRequest[]): void;
  /** Runs before the batch's transaction begins. */
  beforeBatch(db: Database.Database): void;
}

const NONE: Failpoints = { beforeCommit: () => undefined, beforeBatch: () => undefined };

/** Blocks this (worker) thread: the transaction must stay open, not yield to the event loop. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function commitDelay(ms: number): Failpoints['beforeCommit'] {
  return (batch) => {
    const ids = batch.flatMap((req) => req.events.map((e) => e.id));
    // Synchronous, straight to fd 2: the line must be out before the sleep starts.
    writeSync(2, `failpoint commit-delay: holding ${JSON.stringify({ appends: batch.length, ids })}\n`);
    sleepSync(ms);
  };
}

function diskFull(flag: string): Failpoints['beforeBatch'] {
  let full = false;
  let normalLimit: number | undefined;
  return (db) => {
    const now = existsSync(flag);
    if (now === full) return;
    normalLimit ??= db.pragma('max_page_count', { simple: true }) as number;
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${now ? pages : normalLimit}`);
    full = now;
  };
}

export function readFailpoints(raw: string | undefined): Failpoints {
  if (!raw) return NONE;
  const points: Failpoints = { ...NONE };
  for (const spec of raw.split(',')) {
    const colon = spec.indexOf(':');
    const [name, arg] = colon < 0 ? [spec, ''] : [spec.slice(0, colon), spec.slice(colon + 1)];
    if (name === 'commit-delay' && /^\d+$/.test(arg)) points.beforeCommit = commitDelay(Number(arg));
    else if (name === 'disk-full' && arg !== '') points.beforeBatch = diskFull(arg);
    else
      throw new Error(
        `TOKEN_LEDGER_FAILPOINT=${JSON.stringify(raw)} is invalid: expected commit-delay:<ms> or disk-full:<flag file>`,
      );
  }
  return points;
}
