import { Refusal } from '../domain/refusal.js';
import { closeSync, createReadStream, fchmodSync, openSync, writeSync } from 'node:fs';
import { PRIVATE_FILE_MODE } from '../config/privateFiles.js';
import { createInterface } from 'node:readline';
import { allEvents as catalogueEvents } from '../domain/events/all.js';
import type { EventMetadata, EventStore, NewEvent, RecordedEvent } from '../eventsourcing/eventStore.js';
import { hasValidHash } from '../eventsourcing/integrity.js';
import { EventCatalogue } from '../eventsourcing/validation.js';
import { allEvents, categoryOf } from './store.js';

/** One NDJSON line of an export. */
interface ExportedEvent {
  id: string;
  type: string;
  stream: string;
  revision: number;
  position: string;
  recordedAt: string;
  data: unknown;
  metadata: EventMetadata;
  /**
   * Set on every line of an `export --category` file: such a file holds some streams only, for
   * reading, and import refuses it. Like position and recordedAt it is outside the hashes.
   */
  exportedCategory?: string;
}

export class ImportRefused extends Refusal {
  override readonly name = 'ImportRefused';
  constructor(message: string) {
    super('invalid_request', message);
  }
}

/**
 * The export's NDJSON, one event per line in ledger order, in chunks of up to 500 lines (each chunk ends with a
 * newline). A category export marks every line with `exportedCategory`, so that import can tell it from a ledger.
 * What `token-ledger export` writes and GET /ledger/export streams.
 */
export async function* exportChunks(
  store: EventStore,
  category?: string,
  counted: { events: number; streams: Set<string> } = { events: 0, streams: new Set() },
): AsyncGenerator<string> {
  let chunk: string[] = [];
  for await (const e of allEvents(store)) {
    if (category !== undefined && categoryOf(e.stream) !== category) continue;
    const line: ExportedEvent = {
      id: e.id,
      type: e.type,
      stream: e.stream,
      revision: e.revision,
      position: e.position.toString(),
      recordedAt: e.recordedAt.toISOString(),
      data: e.data,
      metadata: e.metadata,
      ...(category !== undefined ? { exportedCategory: category } : {}),
    };
    chunk.push(JSON.stringify(line));
    counted.events++;
    counted.streams.add(e.stream);
    if (chunk.length >= 500) {
      yield `${chunk.join('\n')}\n`;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield `${chunk.join('\n')}\n`;
}

/** Writes the ledger (or one category of streams) to `file` (see exportChunks). */
export async function exportLedger(
  store: EventStore,
  file: string,
  category?: string,
): Promise<{ events: number; streams: number }> {
  // Owner-only whatever the umask, even over an older file: an export holds password hashes and encrypted keys.
  const fd = openSync(file, 'w', PRIVATE_FILE_MODE);
  fchmodSync(fd, PRIVATE_FILE_MODE);
  const counted = { events: 0, streams: new Set<string>() };
  try {
    for await (const chunk of exportChunks(store, category, counted)) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  return { events: counted.events, streams: counted.streams.size };
}

async function* lines(file: string): AsyncGenerator<{ n: number; event: ExportedEvent; bytes: number }> {
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const text of rl) {
    n++;
    if (text.trim() === '') continue;
    let event: ExportedEvent;
    try {
      event = JSON.parse(text) as ExportedEvent;
    } catch (err) {
      throw new ImportRefused(`${file} line ${n}: not JSON (${(err as Error).message})`);
    }
    const ok =
      event &&
      typeof event === 'object' &&
      typeof event.id === 'string' &&
      typeof event.type === 'string' &&
      typeof event.stream === 'string' &&
      Number.isInteger(event.revision) &&
      event.revision >= 0 &&
      event.metadata &&
      typeof event.metadata === 'object' &&
      typeof event.metadata.hash === 'string' &&
      typeof event.metadata.prevHash === 'string';
    if (!ok)
      throw new ImportRefused(
        `${file} line ${n}: not an exported event (expected id, type, stream, revision, data, metadata with ` +
          `prevHash and hash)`,
      );
    yield { n, event, bytes: Buffer.byteLength(text) };
  }
}

// One append carries at most this many events and bytes of exported JSON: EventStoreDB refuses an
// append over its maximum size (1 MiB by default), and half of it leaves room for its own framing.
const IMPORT_BATCH_EVENTS = 500;
export const IMPORT_BATCH_BYTES = 512 * 1024;

const toRecorded = (e: ExportedEvent): RecordedEvent => ({
  id: e.id,
  type: e.type,
  stream: e.stream,
  revision: e.revision,
  position: 0n,
  recordedAt: new Date(0),
  data: e.data,
  metadata: e.metadata,
});

const WHOLE = 'to move a ledger, export it whole (token-ledger export without --category) and import that';

/**
 * Notices a file that holds part of a ledger: one marked by `export --category`, or (an export made
 * before that mark existed, or filtered by hand) one whose events refer to what it lacks. Each stream
 * in such a file can be complete from revision 0, so the chain checks alone let it through, and the
 * imported ledger would then fail `verify` (tokens signed with keys it never generated) and replay
 * without the clients and users its events name.
 */
class PartialExportCheck {
  private readonly keys = new Set<string>();
  /** Embedded-store positions (the file starts at position 1): every gap must be a recorded prune. */
  private dense: boolean | undefined;
  private lastPosition = 0n;
  private missing = 0n;
  private firstGap: string | undefined;
  private pruned = 0n;

  constructor(private readonly file: string) {}

  line(n: number, event: ExportedEvent, where: string): void {
    if (event.exportedCategory !== undefined) {
      const c = String(event.exportedCategory);
      throw new ImportRefused(
        `refusing to import: ${this.file} was exported with --category ${c}: it holds the ${c} streams only and ` +
          `cannot stand as a ledger; ${WHOLE}`,
      );
    }
    this.position(n, event);
    const d = event.data as Record<string, unknown> | null;
    if (!d || typeof d !== 'object') return;
    if (event.type === 'SigningKeyGenerated' && typeof d.kid === 'string') this.keys.add(d.kid);
    if (
      (event.type === 'AccessTokenIssued' || event.type === 'IdTokenIssued') &&
      typeof d.kid === 'string' &&
      !this.keys.has(d.kid)
    ) {
      throw new ImportRefused(
        `refusing to import: ${where}: signed with key ${d.kid}, which no earlier SigningKeyGenerated event in ` +
          `the file created: the file is not a whole-ledger export (made with --category?); ${WHOLE}`,
      );
    }
    if (event.type === 'LedgerPruned' && typeof d.events === 'number') this.pruned += BigInt(d.events);
  }

  /** EventStoreDB positions are log offsets, never 1 for the first event: only an embedded-store file is checked. */
  private position(n: number, event: ExportedEvent): void {
    let p: bigint;
    try {
      p = BigInt(event.position);
    } catch {
      this.dense = false;
      return;
    }
    this.dense ??= p === 1n;
    if (!this.dense) return;
    const expected = this.lastPosition + 1n;
    if (p > expected) {
      this.missing += p - expected;
      this.firstGap ??=
        `${this.file} line ${n}: position${p - expected > 1n ? `s ${expected}–${p - 1n} are` : ` ${expected} is`} ` +
        `missing before it`;
    }
    if (p > this.lastPosition) this.lastPosition = p;
  }

  end(): void {
    if (this.dense && this.missing > this.pruned) {
      throw new ImportRefused(
        `refusing to import: ${this.firstGap} and no LedgerPruned record accounts for ` +
          `${this.missing - this.pruned} of the ${this.missing} missing positions: the file is not a whole-ledger ` +
          `export (made with --category?); ${WHOLE}`,
      );
    }
  }
}

/** A file `checkExport` found whole and sound: what `importLedger` may append without checking it again. */
export interface CheckedExport {
  file: string;
  streams: number;
}

/**
 * Checks the whole file (every line's hash, every stream's chain from revision 0, every schema, and
 * that it is a whole ledger, not a category export) without a store, so a refused file need not
 * even create the ledger it was meant for.
 */
export async function checkExport(file: string): Promise<CheckedExport> {
  const catalogue = new EventCatalogue(catalogueEvents);
  const chains = new Map<string, { revision: number; hash: string }>();
  const ids = new Set<string>();
  const partial = new PartialExportCheck(file);
  for await (const { n, event } of lines(file)) {
    const where = `${file} line ${n} (stream ${event.stream}, id ${event.id}, revision ${event.revision})`;
    if (!hasValidHash(toRecorded(event)))
      throw new ImportRefused(
        `refusing to import: ${where}: hash does not match the event's content (the file was altered)`,
      );
    const prev = chains.get(event.stream);
    if (event.revision !== (prev ? prev.revision + 1 : 0)) {
      throw new ImportRefused(
        `refusing to import: ${where}: expected revision ${prev ? prev.revision + 1 : 0} (an event is missing, ` +
          `reordered, or the stream was exported in part)`,
      );
    }
    if (event.metadata.prevHash !== (prev?.hash ?? ''))
      throw new ImportRefused(`refusing to import: ${where}: prevHash does not match the previous event's hash`);
    if (ids.has(event.id)) throw new ImportRefused(`refusing to import: ${where}: duplicate event id`);
    try {
      catalogue.validate(event.type, event.metadata.schemaVersion, event.data);
    } catch (err) {
      throw new ImportRefused(`refusing to import: ${where}: ${(err as Error).message}`);
    }
    partial.line(n, event, where);
    ids.add(event.id);
    chains.set(event.stream, { revision: event.revision, hash: event.metadata.hash });
  }
  partial.end();
  return { file, streams: chains.size };
}

/**
 * Checks the whole file first (`checkExport`, unless the caller already did), so a refused file
 * leaves the ledger untouched; then appends the events in the file's order, consecutive events of
 * one stream together, with their ids, revisions, data and metadata.
 * The store recomputes each hash on append; it must equal the exported one.
 */
export async function importLedger(
  store: EventStore,
  file: string,
  checked?: CheckedExport,
): Promise<{ events: number; streams: number }> {
  const head = await store.headPosition();
  if (head !== 0n)
    throw new ImportRefused(
      `refusing to import: the ledger is not empty (head position ${head}); import only into an empty ledger`,
    );
  const { streams } = checked?.file === file ? checked : await checkExport(file);

  let events = 0;
  let batch: Array<{ n: number; event: ExportedEvent }> = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const first = batch[0].event;
    const toAppend: NewEvent[] = batch.map(({ event }) => {
      const { prevHash: _p, hash: _h, ...metadata } = event.metadata;
      return { id: event.id, type: event.type, data: event.data, metadata };
    });
    await store.append(first.stream, toAppend, first.revision === 0 ? 'no_stream' : first.revision - 1);
    const stored = await store.readStream(first.stream, first.revision);
    for (const [i, { n, event }] of batch.entries()) {
      const got = stored[i];
      if (!got || got.id !== event.id || got.revision !== event.revision || got.metadata.hash !== event.metadata.hash) {
        throw new Error(
          `import FAILED at ${file} line ${n} (stream ${event.stream}, id ${event.id}, revision ` +
            `${event.revision}): the store recorded ` +
            (got ? `id ${got.id}, revision ${got.revision}, hash ${got.metadata.hash}` : 'nothing') +
            ` but the file has hash ${event.metadata.hash}; the ledger now holds a partial import — discard it`,
        );
      }
    }
    events += batch.length;
    batch = [];
  };
  let batchBytes = 0;
  for await (const line of lines(file)) {
    const full = batch.length >= IMPORT_BATCH_EVENTS || batchBytes + line.bytes > IMPORT_BATCH_BYTES;
    if (batch.length > 0 && (batch[0].event.stream !== line.event.stream || full)) {
      await flush();
      batchBytes = 0;
    }
    batch.push(line);
    batchBytes += line.bytes;
  }
  await flush();
  return { events, streams };
}
