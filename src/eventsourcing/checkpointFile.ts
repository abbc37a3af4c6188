import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { ensurePrivateDir } from '../config/privateFiles.js';
import { open, rename } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { DefaultDeserializer, DefaultSerializer } from 'node:v8';
import type { AppliedEvent } from './durableView.js';

/** The checkpoint's header: where the views stand, and which code built each. */
export interface CheckpointHeader {
  format: 3;
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
 * header (JSON), then one section per view, in header order. A section is the view's state as v8
 * serialises it, except that each typed array in it is only named there (type, length) and its bytes
 * follow the serialised state, each array at an 8-byte boundary of the section: arrays are written
 * straight from the live view and read back as views into the section, without a copy either way.
 * Section: skeleton length (u32 BE), skeleton, then the arrays.
 */
const MAGIC = Buffer.from('TLVIEWS3', 'latin1');
const HASH_AT = MAGIC.length;
const PREFIX_BYTES = MAGIC.length + 32 + 4;
const CHECKPOINT_FORMAT = 3;

/** Node's own list (its DefaultSerializer numbers them the same way); Buffer is checked first. */
const ARRAY_TYPES = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  DataView,
  Buffer,
  BigInt64Array,
  BigUint64Array,
] as const;
const BUFFER_TYPE = ARRAY_TYPES.indexOf(Buffer);
const align8 = (n: number) => (n + 7) & ~7;

/** v8's serialiser, with typed arrays left out of the stream and collected for writing as they are. */
class SkeletonSerializer extends DefaultSerializer {
  readonly arrays: ArrayBufferView[] = [];
  _writeHostObject(view: ArrayBufferView): void {
    const type = Buffer.isBuffer(view)
      ? BUFFER_TYPE
      : ARRAY_TYPES.findIndex((t) => t !== Buffer && view.constructor === t);
    if (type < 0) throw new TypeError(`cannot checkpoint a ${view.constructor.name}`);
    this.writeUint32(type);
    this.writeUint32(view.byteLength);
    this.arrays.push(view);
  }
}

/** Its reverse: each typed array becomes a view into the section, at the next 8-byte boundary. */
class SkeletonDeserializer extends DefaultDeserializer {
  constructor(
    skeleton: Buffer,
    private readonly section: ArrayBuffer,
    private at: number,
  ) {
    super(skeleton);
  }

  _readHostObject(): ArrayBufferView {
    const type = ARRAY_TYPES[this.readUint32()];
    const byteLength = this.readUint32();
    const at = this.at;
    if (!type || at + byteLength > this.section.byteLength) throw new Error('checkpoint section is inconsistent');
    this.at = align8(at + byteLength);
    if (type === Buffer) return Buffer.from(this.section, at, byteLength);
    if (type === DataView) return new DataView(this.section, at, byteLength);
    const typed = type as Float64ArrayConstructor;
    return new typed(this.section, at, byteLength / typed.BYTES_PER_ELEMENT);
  }
}

interface EncodedView {
  skeleton: Buffer;
  arrays: ArrayBufferView[];
  /** where each array starts in the section */
  offsets: number[];
  bytes: number;
}

function encodeView(state: unknown): EncodedView {
  const ser = new SkeletonSerializer();
  ser.writeHeader();
  ser.writeValue(state);
  const skeleton = ser.releaseBuffer();
  let at = align8(4 + skeleton.length);
  const offsets = ser.arrays.map((a) => {
    const start = at;
    at = align8(at + a.byteLength);
    return start;
  });
  return { skeleton, arrays: ser.arrays, offsets, bytes: at };
}

function decodeView(section: ArrayBuffer): unknown {
  const view = Buffer.from(section);
  const length = view.readUInt32BE(0);
  const d = new SkeletonDeserializer(view.subarray(4, 4 + length), section, align8(4 + length));
  d.readHeader();
  return d.readValue();
}

/**
 * Writes the checkpoint. Everything up to the file holding a consistent cut of the views happens
 * synchronously, before this returns its promise: the views are serialised (their typed arrays are
 * not copied, only written) into a temporary file per process. Then, off the request path, the file
 * is hashed, fsynced and renamed over the old one, and the directory fsynced: a crash at any point
 * leaves the old checkpoint or the new one, whole, and a rename that survives power loss.
 */
export function writeCheckpoint(
  dir: string,
  file: string,
  head: Omit<CheckpointHeader, 'views' | 'format'>,
  views: Array<{ name: string; version: number; code: string; state: unknown }>,
): Promise<void> {
  // Per process: instances sharing a DATA_DIR may checkpoint at the same moment.
  const tmp = `${file}.${process.pid}.tmp`;
  let fd: number | undefined;
  try {
    ensurePrivateDir(dir);
    removeAbandonedTemporaries(file);
    const encoded = views.map((v) => encodeView(v.state));
    const header: CheckpointHeader = {
      format: CHECKPOINT_FORMAT,
      ...head,
      views: views.map((v, i) => ({ name: v.name, version: v.version, code: v.code, bytes: encoded[i].bytes })),
    };
    const json = Buffer.from(JSON.stringify(header));
    const prefix = Buffer.alloc(PREFIX_BYTES);
    MAGIC.copy(prefix);
    prefix.writeUInt32BE(json.length, HASH_AT + 32);
    fd = openSync(tmp, 'w', 0o600);
    const put = (data: Uint8Array, position: number) => {
      for (let done = 0; done < data.byteLength;)
        done += writeSync(fd!, data, done, data.byteLength - done, position + done);
    };
    put(prefix, 0);
    put(json, PREFIX_BYTES);
    let at = PREFIX_BYTES + json.length;
    for (const v of encoded) {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(v.skeleton.length);
      put(length, at);
      put(v.skeleton, at + 4);
      v.arrays.forEach((a, i) => put(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at + v.offsets[i]));
      at += v.bytes;
    }
    // The padding after a section's last array was never written: give the file its full length.
    ftruncateSync(fd, at);
    closeSync(fd);
  } catch (err) {
    if (fd !== undefined) {
      closeSync(fd);
      rmSync(tmp, { force: true });
    }
    const error = err as Error; // whatever the fs calls above threw
    return Promise.reject(error);
  }
  return finishCheckpoint(tmp, file, dir);
}

async function finishCheckpoint(tmp: string, file: string, dir: string): Promise<void> {
  const fh = await open(tmp, 'r+');
  try {
    // Hashed from the file, in chunks between requests, rather than from the views in one go.
    const hash = createHash('sha256');
    for await (const chunk of fh.createReadStream({ start: HASH_AT + 32, highWaterMark: 1 << 20, autoClose: false }))
      hash.update(chunk as Buffer);
    await fh.write(hash.digest(), 0, 32, HASH_AT);
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
      for (let done = 0; done < length;) {
        const n = readSync(fd, buf, done, length - done, at + done);
        if (n === 0) throw new Error('short read');
        done += n;
      }
      return buf;
    };
    if (size < PREFIX_BYTES) return 'checkpoint unreadable (not a checkpoint, an older format or truncated)';
    const prefix = read(PREFIX_BYTES, 0);
    if (!prefix.subarray(0, MAGIC.length).equals(MAGIC))
      return 'checkpoint unreadable (not a checkpoint or an older format)';
    const length = prefix.readUInt32BE(MAGIC.length + 32);
    if (PREFIX_BYTES + length > size) return 'checkpoint corrupt (truncated header)';
    const json = read(length, PREFIX_BYTES);
    const hash = createHash('sha256')
      .update(prefix.subarray(MAGIC.length + 32))
      .update(json);
    let header: CheckpointHeader;
    try {
      header = JSON.parse(json.toString('utf8')) as CheckpointHeader;
    } catch {
      return 'checkpoint corrupt (header)';
    }
    if (header.format !== CHECKPOINT_FORMAT || !Array.isArray(header.views))
      return 'checkpoint unreadable (unknown format)';
    if (PREFIX_BYTES + length + header.views.reduce((n, v) => n + v.bytes, 0) !== size)
      return 'checkpoint corrupt (lengths do not add up)';
    const sections: Record<string, ArrayBuffer> = {};
    let at = PREFIX_BYTES + length;
    for (const v of header.views) {
      const section = read(v.bytes, at);
      hash.update(section);
      sections[v.name] = section.buffer;
      at += v.bytes;
    }
    if (!hash.digest().equals(prefix.subarray(MAGIC.length, MAGIC.length + 32)))
      return 'checkpoint corrupt (checksum mismatch)';
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
 * view's own buffer (no copy), and a view's buffer is not held alive by another's.
 */
export function decodeSections(checked: CheckpointSections): DecodedCheckpoint {
  const sections = new Map(Object.entries(checked.sections));
  return {
    header: checked.header,
    state: (name) => {
      const section = sections.get(name)!;
      sections.delete(name);
      return decodeView(section);
    },
  };
}

/** The checkpoint in `file`, or why it cannot be trusted (truncated, corrupt, unreadable). */
export function readCheckpoint(file: string): DecodedCheckpoint | string {
  const checked = readCheckpointSections(file);
  return typeof checked === 'string' ? checked : decodeSections(checked);
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
