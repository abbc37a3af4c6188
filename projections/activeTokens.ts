import type { AccessTokenIssuedEvent, TokenRevokedEvent } from '../src/domain/tokens/events.js';
import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import { defineProjection } from './projection.js';
import {
  deleteEntry,
  emptyTable,
  findEntry,
  grown,
  insertEntry,
  overHalfFull,
  type HomeOf,
} from './openAddressingTable.js';

export type ActiveToken = AccessTokenIssuedEvent['data'];

/**
 * Strings many tokens share (client ids, subjects, scopes, audiences, key ids, status lists), stored
 * once with the number of live tokens using each; an entry goes when its last token goes.
 * Id 0 means "none" (a null kid or grantId, no status list).
 */
interface Interner<T> {
  ids: Map<string, number>;
  keys: Array<string | undefined>;
  values: Array<T | undefined>;
  refs: number[];
  free: number[];
}

/**
 * Tokens that are neither revoked nor evicted after expiry, in a struct of arrays: a token is a
 * slot, each field an entry of a typed array (hash and jti as raw bytes, repeated strings as ids
 * into interners), so a million tokens are a few dozen buffers instead of millions of objects —
 * small in memory (see bench/liveTokens.ts) and a memcpy to snapshot and restore. Lookups by hash
 * go through an open-addressing table keyed by the hash's first 32 bits and confirmed against all
 * 32 bytes, so a prefix collision costs a probe, never a wrong answer. Hashes or jtis that do not
 * have the canonical shape (43-char base64url SHA-256, lowercase UUID) are kept as strings aside.
 * Read it through the functions below; its fields are the projection's business.
 */
export interface ActiveTokensView {
  /** live tokens */
  size: number;
  /** slots [0, top) have been used at least once */
  top: number;
  /** slot + 1 of the first free slot below `top` (chained through grantNext), 0 when none */
  freeHead: number;
  hashes: Uint8Array;
  jtis: Uint8Array;
  iat: Float64Array;
  exp: Float64Array;
  statusIdx: Float64Array;
  /** ids into `strings` */
  client: Uint32Array;
  sub: Uint32Array;
  scope: Uint32Array;
  grantType: Uint32Array;
  kid: Uint32Array;
  statusList: Uint32Array;
  /** id into `auds` */
  aud: Uint32Array;
  /** grant record + 1, 0 for a token without a grant */
  grant: Uint32Array;
  /** the tokens of one grant, a doubly linked list of slot + 1 (a revoked grant drops them at once) */
  grantPrev: Int32Array;
  grantNext: Int32Array;
  flags: Uint8Array;
  /** slot + 1 by hash prefix (an openAddressingTable.ts table); 0 is empty */
  table: Int32Array;
  strings: Interner<string>;
  auds: Interner<string[]>;
  /**
   * Grant records (only grants with a live token have one): the id as 16 bytes (a canonical UUID)
   * or in `oddGrantId`, and the first token of its list (slot + 1; a free record holds
   * -1 - (next free record + 1)). Found through `grantTable`, keyed by a hash of the 16 bytes.
   */
  grantIds: Uint8Array;
  grantHead: Int32Array;
  grantTop: number;
  /** records in `grantTable` */
  grantCount: number;
  freeGrant: number;
  grantTable: Int32Array;
  oddGrant: Map<string, number>;
  oddGrantId: Map<number, string>;
  /** hashes and jtis without the canonical shape, by slot; and such hashes → slot */
  oddHash: Map<number, string>;
  oddHashSlot: Map<string, number>;
  oddJti: Map<number, string>;
  /** RFC 9449: the DPoP key thumbprint of each bound token, by slot (few tokens are bound: no array for it) */
  jkt: Map<number, string>;
}

const LIVE = 1;
const OPAQUE = 2;
const ODD_HASH = 4;
const ODD_JTI = 8;
const HASH_BYTES = 32;
const UUID_BYTES = 16;
const FIRST_CAPACITY = 1024;

/** A SHA-256 in base64url: 43 characters, the last one carrying 4 bits and two zero bits. */
const CANONICAL_HASH = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const scratch = Buffer.alloc(HASH_BYTES);

const interner = <T>(): Interner<T> => ({
  ids: new Map(),
  keys: [undefined],
  values: [undefined],
  refs: [0],
  free: [],
});

function intern<T>(t: Interner<T>, key: string, value: () => T): number {
  let id = t.ids.get(key);
  if (id === undefined) {
    id = t.free.pop() ?? t.keys.length;
    t.ids.set(key, id);
    t.keys[id] = key;
    t.values[id] = value();
    t.refs[id] = 0;
  }
  t.refs[id] += 1;
  return id;
}

function release<T>(t: Interner<T>, id: number): void {
  if (id === 0) return;
  t.refs[id] -= 1;
  if (t.refs[id] === 0) {
    t.ids.delete(t.keys[id]!);
    t.keys[id] = undefined;
    t.values[id] = undefined;
    t.free.push(id);
  }
}

const internString = (t: Interner<string>, s: string | null | undefined) => (s == null ? 0 : intern(t, s, () => s));

function emptyView(capacity: number, tableSize: number): ActiveTokensView {
  return {
    size: 0,
    top: 0,
    freeHead: 0,
    hashes: new Uint8Array(capacity * HASH_BYTES),
    jtis: new Uint8Array(capacity * UUID_BYTES),
    iat: new Float64Array(capacity),
    exp: new Float64Array(capacity),
    statusIdx: new Float64Array(capacity),
    client: new Uint32Array(capacity),
    sub: new Uint32Array(capacity),
    scope: new Uint32Array(capacity),
    grantType: new Uint32Array(capacity),
    kid: new Uint32Array(capacity),
    statusList: new Uint32Array(capacity),
    aud: new Uint32Array(capacity),
    grant: new Uint32Array(capacity),
    grantPrev: new Int32Array(capacity),
    grantNext: new Int32Array(capacity),
    flags: new Uint8Array(capacity),
    table: emptyTable(tableSize),
    strings: interner(),
    auds: interner(),
    grantIds: new Uint8Array(64 * UUID_BYTES),
    grantHead: new Int32Array(64),
    grantTop: 0,
    grantCount: 0,
    freeGrant: 0,
    grantTable: emptyTable(128),
    oddGrant: new Map(),
    oddGrantId: new Map(),
    oddHash: new Map(),
    oddHashSlot: new Map(),
    oddJti: new Map(),
    jkt: new Map(),
  };
}

const capacityOf = (v: ActiveTokensView) => v.flags.length;

type ArrayField =
  | 'hashes'
  | 'jtis'
  | 'iat'
  | 'exp'
  | 'statusIdx'
  | 'client'
  | 'sub'
  | 'scope'
  | 'grantType'
  | 'kid'
  | 'statusList'
  | 'aud'
  | 'grant'
  | 'grantPrev'
  | 'grantNext'
  | 'flags';
const ARRAY_FIELDS: ArrayField[] = [
  'hashes',
  'jtis',
  'iat',
  'exp',
  'statusIdx',
  'client',
  'sub',
  'scope',
  'grantType',
  'kid',
  'statusList',
  'aud',
  'grant',
  'grantPrev',
  'grantNext',
  'flags',
];

/**
 * Copies the first `used` slots of every array into arrays of `capacity` slots. A view restored from
 * a checkpoint has its arrays in the checkpoint's buffer: the tables move out of it too, so that
 * the old buffer is freed whole.
 */
function resize(v: ActiveTokensView, capacity: number, used: number): void {
  const perSlot = (f: ArrayField) => (f === 'hashes' ? HASH_BYTES : f === 'jtis' ? UUID_BYTES : 1);
  for (const f of ARRAY_FIELDS) {
    const old = v[f];
    const next = new (old.constructor as Uint8ArrayConstructor)(capacity * perSlot(f));
    next.set((old as Uint8Array).subarray(0, used * perSlot(f)));
    (v as unknown as Record<string, unknown>)[f] = next;
  }
  const own = <A extends Uint8Array | Int32Array>(a: A): A =>
    a.buffer.byteLength === a.byteLength ? a : (a.slice() as A);
  v.table = own(v.table);
  v.grantIds = own(v.grantIds);
  v.grantHead = own(v.grantHead);
  v.grantTable = own(v.grantTable);
}

/** The first 32 bits of a hash (SHA-256 bits are uniform): where its probe starts. */
const prefix32 = (h: Uint8Array, o: number) => h[o] | (h[o + 1] << 8) | (h[o + 2] << 16) | (h[o + 3] << 24);

/** A token's place in `table` (entry = slot + 1). */
const tokenHome: HomeOf<ActiveTokensView> = (v, entry, mask) => prefix32(v.hashes, (entry - 1) * HASH_BYTES) & mask;

/** A grant's place in `grantTable`: FNV-1a of its 16 bytes (a UUIDv7 starts with a timestamp). */
function grantHome(bytes: Uint8Array, offset: number, mask: number): number {
  let h = 0x811c9dc5;
  for (let b = 0; b < UUID_BYTES; b++) h = Math.imul(h ^ bytes[offset + b], 0x01000193);
  return h & mask;
}

const grantEntryHome: HomeOf<ActiveTokensView> = (v, entry, mask) =>
  grantHome(v.grantIds, (entry - 1) * UUID_BYTES, mask);

const tableInsert = (v: ActiveTokensView, slot: number) =>
  insertEntry(v.table, slot + 1, tokenHome(v, slot + 1, v.table.length - 1));
const tableDelete = (v: ActiveTokensView, slot: number) => deleteEntry(v.table, slot + 1, tokenHome, v);

/** Whether the token at `entry` has the hash in `scratch` (all 32 bytes: a prefix collision costs a probe). */
function sameHash(v: ActiveTokensView, entry: number): boolean {
  const h = v.hashes;
  const o = (entry - 1) * HASH_BYTES;
  for (let b = 0; b < HASH_BYTES; b++) if (h[o + b] !== scratch[b]) return false;
  return true;
}

/** Whether the grant record at `entry` has the id in `scratch`'s first 16 bytes. */
function sameGrant(v: ActiveTokensView, entry: number): boolean {
  const ids = v.grantIds;
  const o = (entry - 1) * UUID_BYTES;
  for (let b = 0; b < UUID_BYTES; b++) if (ids[o + b] !== scratch[b]) return false;
  return true;
}

/** The record of this grant id (canonical ids only), or -1. */
function findGrant(v: ActiveTokensView, grantId: string): number {
  if (!CANONICAL_UUID.test(grantId)) return v.oddGrant.get(grantId) ?? -1;
  scratch.write(grantId.replaceAll('-', ''), 0, UUID_BYTES, 'hex');
  return findEntry(v.grantTable, grantHome(scratch, 0, v.grantTable.length - 1), sameGrant, v) - 1;
}

/** The record of this grant id, created when it has none yet. */
function grantRecord(v: ActiveTokensView, grantId: string): number {
  const found = findGrant(v, grantId);
  if (found >= 0) return found;
  let g: number;
  if (v.freeGrant) {
    g = v.freeGrant - 1;
    v.freeGrant = -1 - v.grantHead[g];
  } else {
    if (v.grantTop === v.grantHead.length) {
      const ids = new Uint8Array(v.grantHead.length * 2 * UUID_BYTES);
      ids.set(v.grantIds);
      const head = new Int32Array(v.grantHead.length * 2);
      head.set(v.grantHead);
      v.grantIds = ids;
      v.grantHead = head;
    }
    g = v.grantTop++;
  }
  v.grantHead[g] = 0;
  if (CANONICAL_UUID.test(grantId)) {
    Buffer.from(v.grantIds.buffer, v.grantIds.byteOffset + g * UUID_BYTES, UUID_BYTES).write(
      grantId.replaceAll('-', ''),
      'hex',
    );
    if (overHalfFull(v.grantTable, ++v.grantCount)) v.grantTable = grown(v.grantTable, grantEntryHome, v);
    insertEntry(v.grantTable, g + 1, grantEntryHome(v, g + 1, v.grantTable.length - 1));
  } else {
    v.oddGrant.set(grantId, g);
    v.oddGrantId.set(g, grantId);
  }
  return g;
}

function dropGrant(v: ActiveTokensView, g: number): void {
  const odd = v.oddGrantId.get(g);
  if (odd !== undefined) {
    v.oddGrant.delete(odd);
    v.oddGrantId.delete(g);
  } else {
    deleteEntry(v.grantTable, g + 1, grantEntryHome, v);
    v.grantCount -= 1;
  }
  v.grantHead[g] = -1 - v.freeGrant;
  v.freeGrant = g + 1;
}

function grantIdOf(v: ActiveTokensView, g: number): string {
  return v.oddGrantId.get(g) ?? uuidAt(v.grantIds, g);
}

function uuidAt(bytes: Uint8Array, index: number): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset + index * UUID_BYTES, UUID_BYTES).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The slot holding this hash, or -1. */
function slotOf(v: ActiveTokensView, tokenHash: string): number {
  if (!CANONICAL_HASH.test(tokenHash)) return v.oddHashSlot.get(tokenHash) ?? -1;
  scratch.write(tokenHash, 'base64url');
  return findEntry(v.table, prefix32(scratch, 0), sameHash, v) - 1;
}

function allocate(v: ActiveTokensView): number {
  if (v.freeHead !== 0) {
    const slot = v.freeHead - 1;
    v.freeHead = v.grantNext[slot]!;
    v.grantNext[slot] = 0;
    return slot;
  }
  if (v.top === capacityOf(v)) resize(v, capacityOf(v) * 2, v.top);
  return v.top++;
}

function issued(view: ActiveTokensView, event: RecordedEvent): ActiveTokensView {
  const v = view;
  const token = (event as unknown as AccessTokenIssuedEvent).data;
  if (slotOf(v, token.tokenHash) >= 0) return v; // the same token twice: it is live already
  const slot = allocate(v);
  let flags = LIVE | (token.format === 'opaque' ? OPAQUE : 0);
  if (CANONICAL_HASH.test(token.tokenHash)) {
    Buffer.from(v.hashes.buffer, v.hashes.byteOffset + slot * HASH_BYTES, HASH_BYTES).write(
      token.tokenHash,
      'base64url',
    );
  } else {
    flags |= ODD_HASH;
    v.oddHash.set(slot, token.tokenHash);
    v.oddHashSlot.set(token.tokenHash, slot);
  }
  if (CANONICAL_UUID.test(token.jti)) {
    Buffer.from(v.jtis.buffer, v.jtis.byteOffset + slot * UUID_BYTES, UUID_BYTES).write(
      token.jti.replaceAll('-', ''),
      'hex',
    );
  } else {
    flags |= ODD_JTI;
    v.oddJti.set(slot, token.jti);
  }
  v.flags[slot] = flags;
  v.iat[slot] = token.iat;
  v.exp[slot] = token.exp;
  v.client[slot] = internString(v.strings, token.clientId);
  v.sub[slot] = internString(v.strings, token.sub);
  v.scope[slot] = internString(v.strings, token.scope);
  v.grantType[slot] = internString(v.strings, token.grantType);
  v.kid[slot] = internString(v.strings, token.kid);
  v.statusList[slot] = internString(v.strings, token.statusList?.id);
  v.statusIdx[slot] = token.statusList?.idx ?? 0;
  if (token.jkt !== undefined) v.jkt.set(slot, token.jkt);
  v.aud[slot] = intern(v.auds, JSON.stringify(token.aud), () => [...token.aud]);
  if (token.grantId) {
    const g = grantRecord(v, token.grantId);
    const head = v.grantHead[g];
    v.grant[slot] = g + 1;
    v.grantPrev[slot] = 0;
    v.grantNext[slot] = head;
    if (head) v.grantPrev[head - 1] = slot + 1;
    v.grantHead[g] = slot + 1;
  } else {
    v.grant[slot] = 0;
  }
  v.size += 1;
  if (overHalfFull(v.table, v.size)) v.table = grown(v.table, tokenHome, v);
  if (!(flags & ODD_HASH)) tableInsert(v, slot);
  return v;
}

function forget(v: ActiveTokensView, slot: number): void {
  const flags = v.flags[slot];
  if (flags & ODD_HASH) {
    v.oddHashSlot.delete(v.oddHash.get(slot)!);
    v.oddHash.delete(slot);
  } else {
    tableDelete(v, slot);
  }
  if (flags & ODD_JTI) v.oddJti.delete(slot);
  if (v.jkt.size > 0) v.jkt.delete(slot);
  const grant = v.grant[slot];
  if (grant) {
    const prev = v.grantPrev[slot];
    const next = v.grantNext[slot];
    if (prev) v.grantNext[prev - 1] = next;
    else v.grantHead[grant - 1] = next;
    if (next) v.grantPrev[next - 1] = prev;
    if (!prev && !next) dropGrant(v, grant - 1);
  }
  for (const field of [v.client, v.sub, v.scope, v.grantType, v.kid, v.statusList]) release(v.strings, field[slot]);
  release(v.auds, v.aud[slot]);
  v.flags[slot] = 0;
  v.grant[slot] = 0;
  v.grantPrev[slot] = 0;
  v.grantNext[slot] = v.freeHead;
  v.freeHead = slot + 1;
  v.size -= 1;
}

function jtiAt(v: ActiveTokensView, slot: number): string {
  return v.flags[slot] & ODD_JTI ? v.oddJti.get(slot)! : uuidAt(v.jtis, slot);
}

/** `tokenHash`: the hash the caller looked the token up by (saves re-encoding it). */
function tokenAt(v: ActiveTokensView, slot: number, tokenHash: string): ActiveToken {
  const s = v.strings.values;
  const flags = v.flags[slot];
  const token: ActiveToken = {
    jti: jtiAt(v, slot),
    tokenHash,
    format: flags & OPAQUE ? 'opaque' : 'jwt',
    clientId: s[v.client[slot]]!,
    sub: s[v.sub[slot]]!,
    scope: s[v.scope[slot]]!,
    aud: [...v.auds.values[v.aud[slot]]!],
    iat: v.iat[slot],
    exp: v.exp[slot],
    grantType: s[v.grantType[slot]]!,
    kid: v.kid[slot] ? s[v.kid[slot]]! : null,
    grantId: v.grant[slot] ? grantIdOf(v, v.grant[slot] - 1) : null,
  };
  if (v.statusList[slot]) token.statusList = { id: s[v.statusList[slot]]!, idx: v.statusIdx[slot] };
  const jkt = v.jkt.size > 0 ? v.jkt.get(slot) : undefined;
  if (jkt !== undefined) token.jkt = jkt;
  return token;
}

function revoked(view: ActiveTokensView, event: RecordedEvent): ActiveTokensView {
  const { jti, tokenHash } = (event as unknown as TokenRevokedEvent).data;
  // TokenRevoked names the token by both; a refresh token's hash is simply not found here.
  const slot = slotOf(view, tokenHash);
  if (slot >= 0 && jtiAt(view, slot) === jti) forget(view, slot);
  return view;
}

function grantRevoked(view: ActiveTokensView, event: RecordedEvent): ActiveTokensView {
  const { grantId } = (event as unknown as { data: { grantId: string } }).data;
  const grant = findGrant(view, grantId);
  if (grant < 0) return view;
  // forget() drops the grant record with its last token, so read the next link before each one.
  for (let next = view.grantHead[grant]; next;) {
    const slot = next - 1;
    next = view.grantNext[slot]!;
    forget(view, slot);
  }
  return view;
}

/**
 * UserDisabled and UserSessionsRevoked end every token the user holds through a grant (a
 * client_credentials token's subject is its client, never a user). One pass over the slots, a
 * comparison of integers each: a rare operator action, and it must not wait for the per-grant
 * GrantRevoked records that follow, which a crash could cut short.
 */
function userTokensEnded(view: ActiveTokensView, event: RecordedEvent): ActiveTokensView {
  const { sub } = (event as unknown as { data: { sub: string } }).data;
  const id = view.strings.ids.get(sub);
  if (id === undefined) return view;
  for (let slot = 0; slot < view.top; slot++) {
    if (view.flags[slot] & LIVE && view.grant[slot] !== 0 && view.sub[slot] === id) forget(view, slot);
  }
  return view;
}

export const activeTokensProjection = defineProjection<ActiveTokensView>({
  name: 'activeTokens',
  version: 5,
  initialState: () => emptyView(FIRST_CAPACITY, FIRST_CAPACITY * 2),
  on: {
    AccessTokenIssued: issued,
    TokenRevoked: revoked,
    GrantRevoked: grantRevoked,
    UserDisabled: userTokensEnded,
    UserSessionsRevoked: userTokensEnded,
  },
});

/**
 * Drops every token that has expired at `nowSeconds`. Called from a timer (src/server.ts), never on
 * a request: a scan of two typed arrays, about a millisecond per million slots.
 */
export function evictExpired(view: ActiveTokensView, nowSeconds: number): number {
  let evicted = 0;
  for (let slot = 0; slot < view.top; slot++) {
    if (view.flags[slot] & LIVE && view.exp[slot] <= nowSeconds) {
      forget(view, slot);
      evicted++;
    }
  }
  return evicted;
}

/** The token with this hash while it is in the view (revocation answers for an expired one too). */
export function tokenByHash(view: ActiveTokensView, tokenHash: string): ActiveToken | undefined {
  const slot = slotOf(view, tokenHash);
  return slot < 0 ? undefined : tokenAt(view, slot, tokenHash);
}

/** The active token with this hash at `nowSeconds`, or undefined (unknown, revoked or expired). */
export function activeTokenByHash(
  view: ActiveTokensView,
  tokenHash: string,
  nowSeconds: number,
): ActiveToken | undefined {
  const slot = slotOf(view, tokenHash);
  return slot >= 0 && view.exp[slot] > nowSeconds ? tokenAt(view, slot, tokenHash) : undefined;
}

/** What an introspection answer says of an active token (RFC 7662 §2.2). */
interface IntrospectedToken {
  jti: string;
  clientId: string;
  sub: string;
  scope: string;
  /** The view's own array, shared by every token with this audience: read it, never change it. */
  aud: readonly string[];
  iat: number;
  exp: number;
  /** The DPoP key thumbprint of a bound token (RFC 9449 §6), undefined for a bearer token. */
  jkt: string | undefined;
}

/**
 * As activeTokenByHash, but only the fields an introspection answer carries: no copy of the
 * audience, no grant id, key id or status list decoded. Introspection asks this for every request.
 */
export function introspectedTokenByHash(
  view: ActiveTokensView,
  tokenHash: string,
  nowSeconds: number,
): IntrospectedToken | undefined {
  const slot = slotOf(view, tokenHash);
  if (slot < 0 || !(view.exp[slot] > nowSeconds)) return undefined;
  const s = view.strings.values;
  return {
    jti: jtiAt(view, slot),
    clientId: s[view.client[slot]]!,
    sub: s[view.sub[slot]]!,
    scope: s[view.scope[slot]]!,
    aud: view.auds.values[view.aud[slot]]!,
    iat: view.iat[slot],
    exp: view.exp[slot],
    jkt: view.jkt.size > 0 ? view.jkt.get(slot) : undefined,
  };
}

/** How many tokens the view holds (live, or expired and not yet evicted). */
export const activeTokenCount = (view: ActiveTokensView): number => view.size;
