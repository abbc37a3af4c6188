import { allEvents as catalogueEvents } from '../domain/events/all.js';
import type { EventStore, RecordedEvent } from '../eventsourcing/eventStore.js';
import { hasValidHash } from '../eventsourcing/integrity.js';
import { EventCatalogue } from '../eventsourcing/validation.js';
import { allEvents } from './store.js';
import { SealChecker, type SealSummary } from './sealCheck.js';
import type { SealData } from '../application/seals.js';
import type { Jwks } from '../sdk/ledger-proof.js';

interface Problem {
  /** Global position as a decimal string (null when the problem is an event that is not there). */
  position: string | null;
  stream: string | null;
  id: string | null;
  revision: number | null;
  type: string | null;
  problem: string;
}

interface VerifyReport {
  ok: boolean;
  store: EventStore['kind'];
  events: number;
  /** Events removed by `token-ledger prune`, as the ledger's LedgerPruned records say. */
  pruned: number;
  streams: number;
  /** Tokens whose signing key was checked. */
  signedTokens: number;
  /** The last event: record it outside the ledger to detect a later truncation (see README). */
  head: { position: string; stream: string; id: string; hash: string } | null;
  /** The Merkle tree over every event and the seals that sign it (docs/audit-seals.md). */
  merkle: SealSummary;
  firstBad?: Problem;
  /** Every problem found, in ledger order (at most MAX_PROBLEMS). */
  problems: Problem[];
  problemCount: number;
}

const MAX_PROBLEMS = 100;

interface KeyInfo {
  activatesAtMs: number;
  retiredAtMs: number | null;
}

interface VerifyOptions {
  /** The highest position the store ever handed out (SQLite's sqlite_sequence, PostgreSQL's ledger_head). */
  highestIssued?: bigint;
  /**
   * Events the ledger's own LedgerPruned records account for: that many positions may be missing, no more, no fewer.
   */
  prunedEvents?: number;
  /** The seal keys the auditor trusts (a JWKS kept outside the ledger); by default the ledger's own. */
  sealKeys?: Jwks;
  /** A seal the auditor kept: the ledger must extend it. */
  keptSeal?: SealData;
}

/**
 * Reads the whole ledger through the port and checks every event: its schema version, its place in
 * its stream (revisions contiguous from 0, prevHash = the previous event's hash), its own hash, and
 * for tokens that name a signing key, that the key existed and was active at the token's iat. On the
 * embedded and PostgreSQL stores global positions must also be contiguous (SQLite returns a
 * rolled-back position to the AUTOINCREMENT sequence; PostgreSQL numbers each commit after the last
 * under its append lock), so a gap means a deleted event.
 */
export async function verifyLedger(store: EventStore, options: VerifyOptions = {}): Promise<VerifyReport> {
  const catalogue = new EventCatalogue(catalogueEvents);
  const streams = new Map<string, { revision: number; hash: string }>();
  const keys = new Map<string, KeyInfo>();
  const problems: Problem[] = [];
  let problemCount = 0;
  let events = 0;
  let signedTokens = 0;
  let last: RecordedEvent | undefined;

  const report = (e: RecordedEvent | null, problem: string, position?: bigint) => {
    problemCount++;
    if (problems.length >= MAX_PROBLEMS) return;
    problems.push({
      position: (e?.position ?? position)?.toString() ?? null,
      stream: e?.stream ?? null,
      id: e?.id ?? null,
      revision: e?.revision ?? null,
      type: e?.type ?? null,
      problem,
    });
  };

  const seals = await SealChecker.open(store, { jwks: options.sealKeys, kept: options.keptSeal });
  const pruned = BigInt(options.prunedEvents ?? 0);
  let missing = 0n;

  for await (const e of allEvents(store)) {
    events++;
    const found: string[] = [];

    if (store.kind !== 'esdb') {
      const expected = (last?.position ?? 0n) + 1n;
      if (e.position > expected) missing += e.position - expected;
      // Gaps the LedgerPruned records account for are pruning, not tampering.
      if (e.position !== expected && !(e.position > expected && missing <= pruned)) {
        found.push(
          e.position > expected
            ? e.position - expected > 1n
              ? `positions ${expected}–${e.position - 1n} are missing before it (deleted events)`
              : `position ${expected} is missing before it (a deleted event)`
            : `position ${e.position} is out of order (expected ${expected})`,
        );
      }
    }

    const meta = e.metadata as unknown as Record<string, unknown> | null;
    if (!meta || typeof meta !== 'object' || typeof meta.hash !== 'string' || typeof meta.prevHash !== 'string') {
      found.push('metadata has no integrity fields (prevHash, hash)');
    } else {
      try {
        if (typeof meta.schemaVersion !== 'number') throw new Error('metadata.schemaVersion is missing');
        if (typeof meta.actor !== 'string' || typeof meta.correlationId !== 'string')
          throw new Error('metadata.actor/correlationId is missing');
        catalogue.validate(e.type, meta.schemaVersion, e.data);
      } catch (err) {
        found.push(`schema: ${(err as Error).message}`);
      }

      const prev = streams.get(e.stream);
      const expectedRevision = prev ? prev.revision + 1 : 0;
      if (e.revision !== expectedRevision) {
        found.push(
          e.revision > expectedRevision
            ? `revision ${e.revision} where ${expectedRevision} was expected: ` +
                `event${e.revision - expectedRevision > 1 ? 's' : ''} ` +
                `${expectedRevision}${e.revision - expectedRevision > 1 ? `–${e.revision - 1}` : ''} of the stream ` +
                `${e.revision - expectedRevision > 1 ? 'are' : 'is'} missing`
            : `revision ${e.revision} where ${expectedRevision} was expected: events are reordered or duplicated`,
        );
      }
      const expectedPrev = prev?.hash ?? '';
      if (meta.prevHash !== expectedPrev) {
        found.push(
          prev
            ? `prevHash ${String(meta.prevHash) || "''"} does not match the hash of the stream's previous event ` +
                `(${expectedPrev}): the chain is broken`
            : `prevHash is ${String(meta.prevHash)} but this is the first event of its stream`,
        );
      }
      if (!hasValidHash(e)) found.push("hash does not match the event's content: the event was altered");
      streams.set(e.stream, { revision: e.revision, hash: meta.hash });

      checkKeys(e, keys, found, () => signedTokens++);
    }
    found.push(...seals.onEvent(e));

    if (found.length > 0) report(e, found.join('; '));
    last = e;
  }

  // A ledger without any gap is a copy made by import, which numbers positions afresh: its
  // LedgerPruned records still say what was pruned before the copy, and account for nothing here.
  if (store.kind !== 'esdb' && missing > 0n && missing < pruned) {
    report(
      null,
      `LedgerPruned records account for ${pruned} removed events but only ${missing} positions are missing: a ` +
        `prune record was altered`,
    );
  }

  if (store.kind !== 'esdb' && options.highestIssued !== undefined) {
    const head = last?.position ?? 0n;
    if (options.highestIssued > head) {
      const positions =
        options.highestIssued - head > 1n ? `s ${head + 1n}–${options.highestIssued}` : ` ${options.highestIssued}`;
      report(
        null,
        `the last event${options.highestIssued - head > 1n ? 's' : ''} of the ledger (position${positions})` +
          ` ${options.highestIssued - head > 1n ? 'were' : 'was'} deleted: the store handed out position ` +
          `${options.highestIssued}`,
        head + 1n,
      );
    }
  }

  const sealed = await seals.finish();
  for (const p of sealed.problems) report(p.event, p.problem);

  return {
    ok: problemCount === 0,
    store: store.kind,
    events,
    pruned: Number(pruned),
    streams: streams.size,
    signedTokens,
    head: last
      ? { position: last.position.toString(), stream: last.stream, id: last.id, hash: last.metadata?.hash ?? '' }
      : null,
    merkle: sealed.summary,
    ...(problems[0] ? { firstBad: problems[0] } : {}),
    problems,
    problemCount,
  };
}

function checkKeys(e: RecordedEvent, keys: Map<string, KeyInfo>, found: string[], counted: () => void): void {
  const d = e.data as Record<string, unknown> | null;
  if (!d || typeof d !== 'object') return;
  if (e.type === 'SigningKeyGenerated' && typeof d.kid === 'string') {
    keys.set(d.kid, { activatesAtMs: Date.parse(String(d.activatesAt)), retiredAtMs: null });
    return;
  }
  if (e.type === 'SigningKeyRetired' && typeof d.kid === 'string') {
    const key = keys.get(d.kid);
    if (!key) found.push(`retires key ${d.kid}, which was never generated`);
    else key.retiredAtMs = Date.parse(String(d.retiredAt));
    return;
  }
  if ((e.type !== 'AccessTokenIssued' && e.type !== 'IdTokenIssued') || typeof d.kid !== 'string') return;
  counted();
  const iat = Number(d.iat);
  const key = keys.get(d.kid);
  // iat has second precision, activatesAt/retiredAt millisecond precision: compare at the second.
  if (!key) found.push(`signed with key ${d.kid}, which no earlier SigningKeyGenerated event created`);
  else if (Math.floor(key.activatesAtMs / 1000) > iat) {
    found.push(
      `signed with key ${d.kid} at iat ${iat} (${new Date(iat * 1000).toISOString()}) before the key activated ` +
        `(${new Date(key.activatesAtMs).toISOString()})`,
    );
  } else if (key.retiredAtMs !== null && key.retiredAtMs < iat * 1000) {
    found.push(
      `signed with key ${d.kid} at iat ${iat} (${new Date(iat * 1000).toISOString()})` +
        ` after the key was retired (${new Date(key.retiredAtMs).toISOString()})`,
    );
  }
}

/** One line naming the first bad event and what is wrong with it. */
export function problemLine(p: Problem): string {
  if (p.id === null) return `ledger tampered at position ${p.position}: ${p.problem}`;
  return (
    `ledger tampered: event at position ${p.position} (stream ${p.stream}, id ${p.id}, revision ${p.revision}, ` +
    `${p.type}): ${p.problem}`
  );
}
