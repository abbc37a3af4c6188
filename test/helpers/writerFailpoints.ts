/**
 * Fault injection for the embedded ledger's writer thread, used by the fault suite (test/faults):
 * a writer hooks module (src/stores/sqlite/writerHooks.ts) the store loads when a test passes
 * `failpointHooks(spec)` as its `writerHooks`. The spec travels in the module URL's query, so each
 * store gets its own; one this module does not understand is refused before the store opens.
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
 * Several may be given, separated by commas.
 */
import { existsSync, writeSync } from 'node:fs';
import type { WriterHooks } from '../../src/stores/sqlite/writerHooks.js';

type Failpoints = Required<WriterHooks>;

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

function readFailpoints(raw: string | null): Failpoints {
  if (!raw) return NONE;
  const points: Failpoints = { ...NONE };
  for (const spec of raw.split(',')) {
    const colon = spec.indexOf(':');
    const [name, arg] = colon < 0 ? [spec, ''] : [spec.slice(0, colon), spec.slice(colon + 1)];
    if (name === 'commit-delay' && /^\d+$/.test(arg)) points.beforeCommit = commitDelay(Number(arg));
    else if (name === 'disk-full' && arg !== '') points.beforeBatch = diskFull(arg);
    else
      throw new Error(
        `failpoint ${JSON.stringify(raw)} is invalid: expected commit-delay:<ms> or disk-full:<flag file>`,
      );
  }
  return points;
}

/** The writer hooks that inject `spec` (see above), for a store's `writerHooks`. */
export function failpointHooks(spec: string): URL {
  readFailpoints(spec);
  const url = new URL(import.meta.url);
  url.searchParams.set('spec', spec);
  return url;
}

// In the writer thread, loaded through the URL failpointHooks made: the hooks its spec names.
const points = readFailpoints(new URL(import.meta.url).searchParams.get('spec'));
export const beforeBatch = points.beforeBatch;
export const beforeCommit = points.beforeCommit;
