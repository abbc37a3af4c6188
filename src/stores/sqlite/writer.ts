/**
 * The embedded store's writer thread. better-sqlite3 is synchronous, so an fsync on the main thread
 * would stall every request; here it stalls only this thread. Requests that arrive while a commit is
 * being made durable are committed together in the next transaction (group commit): durability then
 * costs latency, not throughput.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { hashEvent } from '../../eventsourcing/integrity.js';
import { expectationHolds } from '../../eventsourcing/eventStore.js';
import { configure } from './schema.js';
import { ownThreadId } from '../threadCpu.js';
import type { AppendReply, AppendRequest, WriterReply, WriterStats } from './protocol.js';
import type { WriterHooks } from './writerHooks.js';

class Conflict extends Error {
  constructor(
    readonly actual: number | 'no_stream',
    message: string,
  ) {
    super(message);
  }
}

const port = parentPort!;
const { file, hooksModule, threadIdCell } = workerData as {
  file: string;
  hooksModule?: string;
  threadIdCell?: Int32Array;
};
// Where the main thread finds this thread's CPU time (src/stores/threadCpu.ts).
if (threadIdCell) Atomics.store(threadIdCell, 0, ownThreadId());
const db = new Database(file);
configure(db);
const hooks: WriterHooks = hooksModule ? ((await import(hooksModule)) as WriterHooks) : {};

const streamHead = db.prepare<[string], { revision: number; hash: string }>(
  'SELECT revision, hash FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1',
);
const eventById = db.prepare<[string], { stream: string; revision: number; position: number }>(
  'SELECT stream, revision, position FROM events WHERE id = ?',
);
const insertEvent = db.prepare(
  `INSERT INTO events (id, stream, revision, type, data, metadata, prev_hash, hash, recorded_at)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
);

/** The events were appended before with these ids: answer as the first append did, write nothing. */
function idempotentReply(req: AppendRequest): AppendReply | undefined {
  const found = req.events.map((e) => eventById.get(e.id));
  if (found.every((f) => f === undefined)) return undefined;
  const consistent = found.every(
    (f, i) => f !== undefined && f.stream === req.stream && f.revision === found[0]!.revision + i,
  );
  if (!consistent) {
    throw new Conflict(
      streamHead.get(req.stream)?.revision ?? 'no_stream',
      `event ids already used elsewhere in the ledger`,
    );
  }
  const last = found[found.length - 1]!;
  return { reqId: req.reqId, ok: true, nextRevision: last.revision, position: last.position };
}

function isDuplicateId(err: unknown): boolean {
  return (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && /events\.id/.test((err as Error).message);
}

const insertAll = db.transaction((req: AppendRequest, now: number): AppendReply => {
  const head = streamHead.get(req.stream);
  if (!expectationHolds(req.expected, head?.revision)) {
    const repeated = idempotentReply(req);
    if (repeated) return repeated;
    const actual = head?.revision ?? 'no_stream';
    throw new Conflict(actual, `stream ${req.stream}: expected revision ${String(req.expected)}, actual ${actual}`);
  }
  let revision = head?.revision ?? -1;
  const firstPrevHash = head?.hash ?? '';
  let prevHash = firstPrevHash;
  let position = 0;
  const hashes: string[] = [];
  for (const e of req.events) {
    revision += 1;
    const hash = hashEvent(e.id, req.stream, revision, e.type, e.dataJson, e.metadataJson, prevHash);
    const info = insertEvent.run(e.id, req.stream, revision, e.type, e.dataJson, e.metadataJson, prevHash, hash, now);
    prevHash = hash;
    hashes.push(hash);
    position = Number(info.lastInsertRowid);
  }
  return {
    reqId: req.reqId,
    ok: true,
    nextRevision: revision,
    position,
    written: { prevHash: firstPrevHash, hashes, recordedAt: now },
  };
});

/** Ids are checked by the unique index, not by a lookup per event: a repeat is the rare case. */
function appendOne(req: AppendRequest, now: number): AppendReply {
  try {
    return insertAll(req, now);
  } catch (err) {
    if (!isDuplicateId(err)) throw err;
    const repeated = idempotentReply(req);
    if (repeated) return repeated;
    throw err;
  }
}

/** Each request is its own savepoint: one conflicting request does not undo the others in its batch. */
function applyBatch(batch: AppendRequest[]): AppendReply[] {
  const now = Date.now();
  hooks.beforeBatch?.(db);
  return db
    .transaction(() => {
      const replies = batch.map((req): AppendReply => {
        try {
          return appendOne(req, now);
        } catch (err) {
          if (err instanceof Conflict)
            return { reqId: req.reqId, ok: false, kind: 'conflict', actual: err.actual, message: err.message };
          throw err;
        }
      });
      hooks.beforeCommit?.(batch);
      return replies;
    })
    .immediate();
}

let queue: AppendRequest[] = [];
let scheduled = false;

function flush(): void {
  scheduled = false;
  const batch = queue;
  queue = [];
  const started = process.hrtime.bigint();
  let replies: AppendReply[];
  try {
    replies = applyBatch(batch);
  } catch (err) {
    // Busy, full disk, I/O error: nothing of this batch was committed; the caller may retry.
    const message = `embedded ledger cannot take writes: ${(err as Error).message}`;
    replies = batch.map((req) => ({ reqId: req.reqId, ok: false, kind: 'unavailable', message }));
  }
  const stats: WriterStats = { size: batch.length, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  port.postMessage({ replies, stats } satisfies WriterReply);
}

port.on('message', (msg: AppendRequest[] | 'close') => {
  if (msg === 'close') {
    if (queue.length > 0) flush();
    db.close();
    port.close();
    return;
  }
  queue.push(...msg);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
});
