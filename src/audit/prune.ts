import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { v7 as uuidv7 } from 'uuid';
import Database from 'better-sqlite3';
import type { EventStore, NewEvent } from '../eventsourcing/eventStore.js';
import { hashEvent } from '../eventsourcing/integrity.js';
import { EventCatalogue } from '../eventsourcing/validation.js';
import { allEvents as catalogueEvents } from '../domain/events/all.js';
import { LedgerPruned, PRUNE_STREAM } from '../domain/retention/events.js';
import { allEvents, categoryOf } from './store.js';
import { buildLedgerTree } from './ledgerTree.js';
import { HistoryIndex } from '../../projections/historyIndex.js';

/** Categories whose streams end when their tokens do; clients, users, keys and consents are never pruned. */
const PRUNABLE = new Set(['token', 'grant', 'assertion', 'session']);

/** The latest moment (epoch s) anything in the event still lives: an expiry in its data. */
function livesUntil(data: Record<string, unknown>): number {
  let until = 0;
  for (const key of ['exp', 'familyExp']) if (typeof data[key] === 'number') until = Math.max(until, data[key]);
  return until;
}

export interface PrunePlan {
  before: string;
  /** The pruned leaves of the Merkle tree, as compact ranges (see LedgerPruned). */
  merkle: Array<{ start: number; end: number; nodes: string[] }>;
  streams: Array<{ stream: string; events: number; lastRevision: number; lastHash: string }>;
  events: number;
  byCategory: Record<string, number>;
  digest: string;
}

/** A prune that would delete tokens, grants or sessions that may still be live. */
export class PruneRefused extends Error {
  override readonly name = 'PruneRefused';
}

/**
 * Every prunable stream whose events all stopped living before `before`, in stream order. `before`
 * may not be later than `now`: a stream whose last expiry is still ahead holds a live token (or a
 * revoked one whose status list must still say so), and deleting it would make a rebuild forget it.
 */
export async function planPrune(store: EventStore, before: Date, now: Date): Promise<PrunePlan> {
  if (before.getTime() > now.getTime()) {
    throw new PruneRefused(
      `--before ${before.toISOString()} is in the future: only streams whose every token has already expired ` +
        `may be pruned`,
    );
  }
  const cutoff = Math.floor(before.getTime() / 1000);
  const streams = new Map<string, { events: number; until: number; lastRevision: number; lastHash: string }>();
  for await (const e of allEvents(store)) {
    if (!PRUNABLE.has(categoryOf(e.stream))) continue;
    const s = streams.get(e.stream) ?? { events: 0, until: 0, lastRevision: -1, lastHash: '' };
    s.events++;
    s.until = Math.max(s.until, livesUntil((e.data ?? {}) as Record<string, unknown>));
    s.lastRevision = e.revision;
    s.lastHash = e.metadata.hash;
    streams.set(e.stream, s);
  }
  // A stream with no expiry at all (a session that only ended, say) is kept: nothing proves it is over.
  const pruned = [...streams].filter(([, s]) => s.until > 0 && s.until < cutoff).sort(([a], [b]) => (a < b ? -1 : 1));
  const byCategory: Record<string, number> = {};
  for (const [stream, s] of pruned) byCategory[categoryOf(stream)] = (byCategory[categoryOf(stream)] ?? 0) + s.events;
  const digest = createHash('sha256')
    .update(pruned.map(([stream, s]) => `${stream} ${s.lastRevision} ${s.lastHash}\n`).join(''))
    .digest('hex');
  return {
    before: before.toISOString(),
    merkle: await prunedRuns(store, new Set(pruned.map(([stream]) => stream))),
    streams: pruned.map(([stream, s]) => ({
      stream,
      events: s.events,
      lastRevision: s.lastRevision,
      lastHash: s.lastHash,
    })),
    events: pruned.reduce((n, [, s]) => n + s.events, 0),
    byCategory,
    digest,
  };
}

/**
 * The leaves the pruned streams' events are in the Merkle tree, as runs of consecutive leaves, each kept as its
 * compact range: O(log n) hashes per run, and the tree's root at every size stays computable. A run is cut at every
 * sealed size, so that each seal's root can still be recomputed.
 */
async function prunedRuns(store: EventStore, streams: Set<string>): Promise<PrunePlan['merkle']> {
  if (streams.size === 0) return [];
  const leaves: number[] = [];
  const { tree, seals } = await buildLedgerTree(store, (e, index) => {
    if (streams.has(e.stream)) leaves.push(index);
  });
  const cuts = new Set(seals.map((s) => s.seal.treeSize));
  const runs: PrunePlan['merkle'] = [];
  let start = -1;
  let end = -1;
  const close = () => {
    if (start >= 0) runs.push(tree.range(start, end).toJSON());
  };
  for (const i of leaves) {
    if (i === end && !cuts.has(i)) end++;
    else {
      close();
      start = i;
      end = i + 1;
    }
  }
  close();
  return runs;
}

/** The LedgerPruned event that records `plan` (validated against its schema). */
export function prunedRecord(plan: PrunePlan, actor: string): NewEvent {
  const data = {
    before: plan.before,
    streams: plan.streams.length,
    events: plan.events,
    byCategory: plan.byCategory,
    digest: plan.digest,
    ...(plan.merkle.length > 0 && { merkle: plan.merkle }),
  };
  new EventCatalogue(catalogueEvents).validate(LedgerPruned.type, LedgerPruned.version, data);
  const id = uuidv7();
  return {
    id,
    type: LedgerPruned.type,
    data,
    metadata: { actor, correlationId: id, causationId: null, schemaVersion: LedgerPruned.version },
  };
}

/**
 * Deletes the planned streams and records LedgerPruned in one SQLite transaction, so the ledger is
 * never seen with events gone but no record of why (or the other way round).
 */
export function applyPrune(file: string, plan: PrunePlan, actor: string): { position: number } {
  const record = prunedRecord(plan, actor);
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = FULL');
    return db
      .transaction(() => {
        const del = db.prepare('DELETE FROM events WHERE stream = ?');
        for (const s of plan.streams) del.run(s.stream);
        const head = db
          .prepare('SELECT revision, hash FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1')
          .get(PRUNE_STREAM) as { revision: number; hash: string } | undefined;
        const revision = (head?.revision ?? -1) + 1;
        const prevHash = head?.hash ?? '';
        const { id } = record;
        const dataJson = JSON.stringify(record.data);
        const metadataJson = JSON.stringify(record.metadata);
        const hash = hashEvent(id, PRUNE_STREAM, revision, LedgerPruned.type, dataJson, metadataJson, prevHash);
        const info = db
          .prepare(
            'INSERT INTO events (id, stream, revision, type, data, metadata, prev_hash, hash, recorded_at) ' +
              'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(id, PRUNE_STREAM, revision, LedgerPruned.type, dataJson, metadataJson, prevHash, hash, Date.now());
        return { position: Number(info.lastInsertRowid) };
      })
      .immediate();
  } finally {
    db.close();
  }
}

/**
 * The operators' history index is a file beside the ledger, fed from it: after a prune it drops the
 * pruned streams' rows, as a rebuild would. Without this it would list tokens whose events are gone.
 */
export function forgetPrunedInHistory(file: string, plan: PrunePlan): void {
  if (!existsSync(file)) return;
  const index = new HistoryIndex(file);
  try {
    index.forgetStreams(plan.streams.map((s) => s.stream));
  } finally {
    index.close();
  }
}

/** Events the ledger says it pruned, from its own LedgerPruned records: what verify may find missing. */
export async function prunedEventCount(store: EventStore): Promise<number> {
  const records = await store.readStream(PRUNE_STREAM);
  return records.reduce((n, e) => n + Number((e.data as { events?: number }).events ?? 0), 0);
}
