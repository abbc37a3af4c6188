import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, unlinkSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { AppliedEvent } from './durableView.js';

/** The checkpoint's header: where the views stand, and which code built each. */
export interface CheckpointHeader {
  format: 2;
  position: string;
  /** The event at `position`, to recognise a checkpoint taken from another ledger. */
  lastEvent: AppliedEvent | null;
  /**
   * In payload order. `code` is codeFingerprint(): a reducer edited without a version bump still
   * invalidates its view. `bytes`: length of the view's v8-serialised state.
   */
  views: Array<{ name: string; version: number; code: string; bytes: number }>;
}

/**
 * File layout: magic (8 bytes), SHA-256 of everything after it (32), header length (u32 BE),
 * header (JSON), then each view's state, v8-serialised, in header order. The header is checked
 * before any view is deserialised, and each view is deserialised on its own (timed in the log).
 */
const MAGIC = Buffer.from('TLVIEWS2', 'latin1');
const PREFIX_BYTES = MAGIC.length + 32 + 4;

export function encodeCheckpoint(head: Omit<CheckpointHeader, 'views'>, views: Array<{ name: string; version: number; code: string; state: unknown }>): Buffer[] {
  const payloads = views.map((v) => serialize(v.state));
  const header: CheckpointHeader = { ...head, views: views.map((v, i) => ({ name: v.name, version: v.version, code: v.code, bytes: payloads[i]!.length })) };
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  const hash = createHash('sha256').update(length).update(json);
  for (const p of payloads) hash.update(p);
  return [MAGIC, hash.digest(), length, json, ...payloads];
}

/** A checked checkpoint, not yet deserialised: each view's bytes in an ArrayBuffer of its own (transferable). */
export interface CheckpointSections {
  header: CheckpointHeader;
  sections: Record<string, ArrayBuffer>;
}

/** The checkpoint in `file`, checked (lengths, checksum) but not deserialised, or why it cannot be trusted. */
export function readCheckpointSections(file: string): CheckpointSections | string {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const read = (length: number, at: number) => {
      // Not from Buffer's shared pool: a section's ArrayBuffer holds that section only.
      const buf = Buffer.from(new ArrayBuffer(length));
      for (let done = 0; done < length; ) {
        const n = readSync(fd, buf, done, length - done, at + done);
        if (n === 0) throw new Error('short read');
        done += n;
      }
      return buf;
    };
    if (size < PREFIX_BYTES) return 'checkpoint unreadable (not a checkpoint, an older format or truncated)';
    const prefix = read(PREFIX_BYTES, 0);
    if (!prefix.subarray(0, MAGIC.length).equals(MAGIC)) return 'checkpoint unreadable (not a checkpoint or an older format)';
    const length = prefix.readUInt32BE(MAGIC.length + 32);
    if (PREFIX_BYTES + length > size) return 'checkpoint corrupt (truncated header)';
    const json = read(length, PREFIX_BYTES);
    const hash = createHash('sha256').update(prefix.subarray(MAGIC.length + 32)).update(json);
    let header: CheckpointHeader;
    try {
      header = JSON.parse(json.toString('utf8')) as CheckpointHeader;
    } catch {
      return 'checkpoint corrupt (header)';
    }
    if (header.format !== 2 || !Array.isArray(header.views)) return 'checkpoint unreadable (unknown format)';
    if (PREFIX_BYTES + length + header.views.reduce((n, v) => n + v.bytes, 0) !== size) return 'checkpoint corrupt (lengths do not add up)';
    const sections: Record<string, ArrayBuffer> = {};
    let at = PREFIX_BYTES + length;
    for (const v of header.views) {
      const section = read(v.bytes, at);
      hash.update(section);
      sections[v.name] = section.buffer as ArrayBuffer;
      at += v.bytes;
    }
    if (!hash.digest().equals(prefix.subarray(MAGIC.length, MAGIC.length + 32))) return 'checkpoint corrupt (checksum mismatch)';
    return { header, sections };
  } finally {
    closeSync(fd);
  }
}

export interface DecodedCheckpoint {
  header: CheckpointHeader;
  /** The stored state of one view (deserialised on demand, once). */
  state(name: string): unknown;
}

/**
 * Checked sections made readable: typed arrays in a view's state come back as views into that
 * view's own buffer (no copy when aligned), and a view's buffer is not held alive by another's.
 */
export function decodeSections(checked: CheckpointSections): DecodedCheckpoint {
  const sections = new Map(Object.entries(checked.sections));
  return {
    header: checked.header,
    state: (name) => {
      const section = sections.get(name)!;
      sections.delete(name);
      return deserialize(Buffer.from(section));
    },
  };
}

/** The checkpoint in `file`, or why it cannot be trusted (truncated, corrupt, unreadable). */
export function readCheckpoint(file: string): DecodedCheckpoint | string {
  const checked = readCheckpointSections(file);
  return typeof checked === 'string' ? checked : decodeSections(checked);
}

/**
 * Write to a temporary file, fsync it, rename it over the old one, fsync the directory: a crash at
 * any point leaves the old checkpoint or the new one, whole, and a rename that survives power loss.
 */
export async function writeDurably(dir: string, file: string, parts: Buffer[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  removeAbandonedTemporaries(file);
  // Per process: instances sharing a DATA_DIR may checkpoint at the same moment.
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    for (const part of parts) {
      for (let offset = 0; offset < part.length; ) offset += (await fh.write(part, offset, part.length - offset)).bytesWritten;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  const d = openSync(dir, 'r');
  try {
    fsyncSync(d);
  } finally {
    closeSync(d);
  }
}

/** Temporary files of processes that died mid-write (SIGKILL, power loss): as large as a checkpoint. */
function removeAbandonedTemporaries(file: string): void {
  const dir = dirname(file);
  const prefix = `${basename(file)}.`;
  for (const name of readdirSync(dir)) {
    const pid = Number(name.slice(prefix.length, -'.tmp'.length));
    if (!name.startsWith(prefix) || !name.endsWith('.tmp') || !Number.isInteger(pid) || pid === process.pid) continue;
    if (isRunning(pid)) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      // Another instance removed it first.
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
