import type { AccessTokenIssuedEvent, TokenRevokedEvent } from '../src/domain/tokens/events.js';
import type { CodeIssuedEvent, RefreshIssuedEvent } from '../src/domain/grants/events.js';
import type { SessionStartedEvent, SessionEndedEvent } from '../src/domain/sessions/events.js';
import type { RecordedEvent } from '../src/ledger/eventStore.js';
import { defineProjection } from './projection.js';
import { addKey, findKey, keyAt, uuidKeys, type UuidKeys } from './uuidKeys.js';

/**
 * One access or refresh token ever issued: claims only (never its hash), and how it ended. Made on
 * demand from the index's rows (tokenAt, tokenByJti): changing it changes nothing in the index.
 */
export interface IndexedToken {
  jti: string;
  kind: 'access_token' | 'refresh_token';
  /** Issue order across the whole index: the pagination cursor. */
  seq: number;
  clientId: string;
  sub: string;
  scope: string;
  aud: string[];
  /** epoch seconds */
  iat: number;
  exp: number;
  grantId: string | null;
  /**
   * The stream holding its events, kept only when it is not the usual one (`grant-<grantId>` for a
   * grant's tokens, `token-<jti>` otherwise): read it with `streamOf`.
   */
  stream?: string;
  /** epoch ms */
  revokedAt?: number;
  revocationReason?: string;
}

/** A grant (authorization code flow) as operators see it; codes are never kept. */
export interface IndexedGrant {
  grantId: string;
  clientId: string;
  sub: string;
  scope: string;
  /** epoch ms */
  createdAt: number;
  revokedAt?: number;
  revocationReason?: string;
}

/** A browser session, by the hash of its id (never exposed), for a user's session list. */
export interface IndexedSession {
  sidHash: string;
  sub: string;
  authTime: number;
  exp: number;
  amr: string[];
  /** epoch ms */
  endedAt?: number;
  endReason?: string;
}

/** A growable list of token rows in issue order (rows only grow, so appending keeps the order). */
export interface RowList {
  rows: Uint32Array;
  n: number;
}

/**
 * Every token ever issued, in a struct of arrays: a token is a row (its row number is its issue
 * sequence), each field an entry of a typed array, the jti as 16 bytes found through `jtis`
 * (open addressing, no Map entry per token), repeated strings (client ids, subjects, scopes,
 * audiences, revocation reasons) as ids into `strings` / `auds`, the grant as an id into `grantIds`.
 * A million tokens are then a few dozen buffers instead of a million objects: small in memory and
 * restored from a checkpoint with no per-token work. Read it through the functions below.
 */
export interface TokenRows {
  /** rows used; capacity is `flags.length` */
  n: number;
  jtis: UuidKeys;
  flags: Uint8Array;
  iat: Float64Array;
  exp: Float64Array;
  /** epoch ms, when REVOKED */
  revokedAt: Float64Array;
  /** ids into `strings` */
  client: Uint32Array;
  sub: Uint32Array;
  scope: Uint32Array;
  reason: Uint32Array;
  /** id into `auds` */
  aud: Uint32Array;
  /** grant index + 1, 0 for a token without a grant */
  grant: Uint32Array;
  /** the next token (row + 1) of the same grant, 0 at the end: a grant's list linked through rows */
  grantNext: Uint32Array;
  /** append-only interning: a string's id is its place in `strings` */
  strings: string[];
  stringIds: Map<string, number>;
  auds: string[][];
  audIds: Map<string, number>;
  /** grant ids, numbered in first-seen order, with the first and last row + 1 of each grant's list */
  grantIds: UuidKeys;
  grantHead: Uint32Array;
  grantTail: Uint32Array;
  /** by string id of the client / subject */
  byClient: Map<number, RowList>;
  bySubject: Map<number, RowList>;
  /**
   * The stream of a token whose events are not in the usual one (see streamOf) as an id into
   * `strings`, 0 for the usual one: a column, not a Map, since a whole ledger may use other streams.
   */
  stream: Uint32Array;
}

/**
 * The history index: every access and refresh token ever issued, every grant, every session, with
 * per-client, per-subject and per-grant lists in issue order. A token's or grant's history is then
 * one stream read; nothing here needs a scan of the ledger. Grants and sessions are few next to
 * tokens and stay plain records.
 */
export interface TokenIndexView {
  tokens: TokenRows;
  grants: Map<string, IndexedGrant>;
  grantsByClient: Map<string, string[]>;
  grantsBySubject: Map<string, string[]>;
  sessions: Map<string, IndexedSession>;
  sessionsBySubject: Map<string, string[]>;
}

const data = <T>(e: RecordedEvent) => (e as unknown as { data: T }).data;

/** The stream holding a token's events. */
export const streamOf = (t: Pick<IndexedToken, 'jti' | 'grantId' | 'stream'>): string =>
  t.stream ?? (t.grantId ? `grant-${t.grantId}` : `token-${t.jti}`);

const REFRESH = 1;
const REVOKED = 2;
const FIRST_CAPACITY = 1024;

type RowField = 'flags' | 'iat' | 'exp' | 'revokedAt' | 'client' | 'sub' | 'scope' | 'reason' | 'aud' | 'grant' | 'grantNext' | 'stream';
const ROW_FIELDS: RowField[] = ['flags', 'iat', 'exp', 'revokedAt', 'client', 'sub', 'scope', 'reason', 'aud', 'grant', 'grantNext', 'stream'];

function emptyRows(capacity: number): TokenRows {
  return {
    n: 0,
    jtis: uuidKeys(capacity),
    flags: new Uint8Array(capacity),
    iat: new Float64Array(capacity),
    exp: new Float64Array(capacity),
    revokedAt: new Float64Array(capacity),
    client: new Uint32Array(capacity),
    sub: new Uint32Array(capacity),
    scope: new Uint32Array(capacity),
    reason: new Uint32Array(capacity),
    aud: new Uint32Array(capacity),
    grant: new Uint32Array(capacity),
    grantNext: new Uint32Array(capacity),
    strings: [''],
    stringIds: new Map([['', 0]]),
    auds: [],
    audIds: new Map(),
    grantIds: uuidKeys(64),
    grantHead: new Uint32Array(64),
    grantTail: new Uint32Array(64),
    byClient: new Map(),
    bySubject: new Map(),
    stream: new Uint32Array(capacity),
  };
}

function grow<A extends Uint8Array | Uint32Array | Float64Array>(a: A, capacity: number): A {
  const next = new (a.constructor as new (n: number) => A)(capacity);
  next.set(a.subarray(0, Math.min(a.length, capacity)));
  return next;
}

function internString(r: TokenRows, s: string): number {
  let id = r.stringIds.get(s);
  if (id === undefined) {
    id = r.strings.length;
    r.strings.push(s);
    r.stringIds.set(s, id);
  }
  return id;
}

function internAud(r: TokenRows, aud: string[]): number {
  const key = JSON.stringify(aud);
  let id = r.audIds.get(key);
  if (id === undefined) {
    id = r.auds.length;
    r.auds.push([...aud]);
    r.audIds.set(key, id);
  }
  return id;
}

function append(lists: Map<number, RowList>, key: number, row: number): void {
  let list = lists.get(key);
  if (!list) lists.set(key, (list = { rows: new Uint32Array(4), n: 0 }));
  if (list.n === list.rows.length) list.rows = grow(list.rows, list.rows.length * 2);
  list.rows[list.n++] = row;
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function grantIndex(r: TokenRows, grantId: string): number {
  const found = findKey(r.grantIds, grantId);
  if (found >= 0) return found;
  const g = addKey(r.grantIds, grantId);
  if (g >= r.grantHead.length) {
    r.grantHead = grow(r.grantHead, r.grantHead.length * 2);
    r.grantTail = grow(r.grantTail, r.grantTail.length * 2);
  }
  return g;
}

function add(v: TokenIndexView, token: Omit<IndexedToken, 'seq'>): TokenIndexView {
  const r = v.tokens;
  if (findKey(r.jtis, token.jti) >= 0) return v;
  const row = r.n++;
  if (row === r.flags.length) {
    const capacity = row * 2;
    for (const f of ROW_FIELDS) (r as unknown as Record<RowField, Uint8Array>)[f] = grow(r[f] as Uint8Array, capacity);
  }
  addKey(r.jtis, token.jti);
  r.flags[row] = token.kind === 'refresh_token' ? REFRESH : 0;
  r.iat[row] = token.iat;
  r.exp[row] = token.exp;
  r.revokedAt[row] = 0;
  r.reason[row] = 0;
  r.client[row] = internString(r, token.clientId);
  r.sub[row] = internString(r, token.sub);
  r.scope[row] = internString(r, token.scope);
  r.aud[row] = internAud(r, token.aud);
  r.grantNext[row] = 0;
  if (token.grantId !== null) {
    const g = grantIndex(r, token.grantId);
    r.grant[row] = g + 1;
    const tail = r.grantTail[g]!;
    if (tail) r.grantNext[tail - 1] = row + 1;
    else r.grantHead[g] = row + 1;
    r.grantTail[g] = row + 1;
  } else {
    r.grant[row] = 0;
  }
  r.stream[row] = token.stream !== undefined && token.stream !== streamOf({ jti: token.jti, grantId: token.grantId }) ? internString(r, token.stream) : 0;
  append(r.byClient, r.client[row]!, row);
  append(r.bySubject, r.sub[row]!, row);
  return v;
}

function revokeRow(r: TokenRows, row: number, at: number, reason: string): void {
  if (r.flags[row]! & REVOKED) return;
  r.flags[row]! |= REVOKED;
  r.revokedAt[row] = at;
  r.reason[row] = internString(r, reason);
}

function revoke(v: TokenIndexView, jti: string, at: number, reason: string): void {
  const row = findKey(v.tokens.jtis, jti);
  if (row >= 0) revokeRow(v.tokens, row, at, reason);
}

/** How many tokens the index holds (rows 0 … count - 1, in issue order). */
export const tokenCount = (v: TokenIndexView): number => v.tokens.n;

/** The row (= issue sequence) of this jti, or -1. */
export const tokenRow = (v: TokenIndexView, jti: string): number => findKey(v.tokens.jtis, jti);

export const jtiAt = (v: TokenIndexView, row: number): string => keyAt(v.tokens.jtis, row);
export const isRevokedAt = (v: TokenIndexView, row: number): boolean => (v.tokens.flags[row]! & REVOKED) !== 0;
export const expAt = (v: TokenIndexView, row: number): number => v.tokens.exp[row]!;
export const iatAt = (v: TokenIndexView, row: number): number => v.tokens.iat[row]!;
export const kindAt = (v: TokenIndexView, row: number): IndexedToken['kind'] => (v.tokens.flags[row]! & REFRESH ? 'refresh_token' : 'access_token');
export const grantIdAt = (v: TokenIndexView, row: number): string | null =>
  v.tokens.grant[row] ? keyAt(v.tokens.grantIds, v.tokens.grant[row]! - 1) : null;

/** The token at this row as an object (made on each call; the index holds no object per token). */
export function tokenAt(v: TokenIndexView, row: number): IndexedToken {
  const r = v.tokens;
  const s = r.strings;
  const flags = r.flags[row]!;
  const token: IndexedToken = {
    jti: keyAt(r.jtis, row),
    kind: flags & REFRESH ? 'refresh_token' : 'access_token',
    seq: row,
    clientId: s[r.client[row]!]!,
    sub: s[r.sub[row]!]!,
    scope: s[r.scope[row]!]!,
    aud: [...r.auds[r.aud[row]!]!],
    iat: r.iat[row]!,
    exp: r.exp[row]!,
    grantId: grantIdAt(v, row),
  };
  if (r.stream[row]) token.stream = s[r.stream[row]!]!;
  if (flags & REVOKED) {
    token.revokedAt = r.revokedAt[row]!;
    token.revocationReason = s[r.reason[row]!]!;
  }
  return token;
}

/** The token with this jti, or undefined. */
export function tokenByJti(v: TokenIndexView, jti: string): IndexedToken | undefined {
  const row = tokenRow(v, jti);
  return row < 0 ? undefined : tokenAt(v, row);
}

const EMPTY = new Uint32Array(0);

/** The rows of a client's tokens in issue order (a view: copy it to keep it across writes). */
export function rowsOfClient(v: TokenIndexView, clientId: string): Uint32Array {
  const id = v.tokens.stringIds.get(clientId);
  const list = id === undefined ? undefined : v.tokens.byClient.get(id);
  return list ? list.rows.subarray(0, list.n) : EMPTY;
}

/** The rows of a subject's tokens in issue order (a view: copy it to keep it across writes). */
export function rowsOfSubject(v: TokenIndexView, sub: string): Uint32Array {
  const id = v.tokens.stringIds.get(sub);
  const list = id === undefined ? undefined : v.tokens.bySubject.get(id);
  return list ? list.rows.subarray(0, list.n) : EMPTY;
}

/** The rows of a grant's tokens in issue order (a new array). */
export function rowsOfGrant(v: TokenIndexView, grantId: string): Uint32Array {
  const r = v.tokens;
  const g = findKey(r.grantIds, grantId);
  if (g < 0) return EMPTY;
  const rows: number[] = [];
  for (let next = r.grantHead[g]!; next; next = r.grantNext[next - 1]!) rows.push(next - 1);
  return Uint32Array.from(rows);
}

/** The string id of a client or subject (for comparing rows without making strings), or -1. */
export const stringId = (v: TokenIndexView, s: string): number => v.tokens.stringIds.get(s) ?? -1;
export const clientIdAt = (v: TokenIndexView, row: number): number => v.tokens.client[row]!;
export const subjectIdAt = (v: TokenIndexView, row: number): number => v.tokens.sub[row]!;
/** The grant index of a grant id (see `grantOfRow`), or -1. */
export const grantKey = (v: TokenIndexView, grantId: string): number => findKey(v.tokens.grantIds, grantId);
export const grantOfRow = (v: TokenIndexView, row: number): number => v.tokens.grant[row]! - 1;

export const tokenIndexProjection = defineProjection<TokenIndexView>({
  name: 'tokenIndex',
  version: 3,
  initialState: () => ({
    tokens: emptyRows(FIRST_CAPACITY),
    grants: new Map(),
    grantsByClient: new Map(),
    grantsBySubject: new Map(),
    sessions: new Map(),
    sessionsBySubject: new Map(),
  }),
  on: {
    AccessTokenIssued: (v, e) => {
      const d = data<AccessTokenIssuedEvent['data']>(e);
      return add(v, {
        jti: d.jti,
        kind: 'access_token',
        clientId: d.clientId,
        sub: d.sub,
        scope: d.scope,
        aud: d.aud,
        iat: d.iat,
        exp: d.exp,
        grantId: d.grantId,
        stream: e.stream,
      });
    },
    RefreshTokenIssued: (v, e) => {
      const d = data<RefreshIssuedEvent['data']>(e);
      return add(v, {
        jti: d.jti,
        kind: 'refresh_token',
        clientId: d.clientId,
        sub: d.sub,
        scope: d.scope,
        aud: [],
        iat: d.iat,
        exp: d.exp,
        grantId: d.grantId,
        stream: e.stream,
      });
    },
    // A rotated refresh token can no longer be used: for operators it is revoked, reason "rotated".
    RefreshTokenRotated: (v, e) => {
      revoke(v, data<{ jti: string }>(e).jti, e.recordedAt.getTime(), 'rotated');
      return v;
    },
    TokenRevoked: (v, e) => {
      const d = data<TokenRevokedEvent['data']>(e);
      revoke(v, d.jti, e.recordedAt.getTime(), d.reason);
      return v;
    },
    GrantRevoked: (v, e) => {
      const { grantId, reason } = data<{ grantId: string; reason: string }>(e);
      const at = e.recordedAt.getTime();
      const r = v.tokens;
      const g = findKey(r.grantIds, grantId);
      if (g >= 0) for (let next = r.grantHead[g]!; next; next = r.grantNext[next - 1]!) revokeRow(r, next - 1, at, reason);
      const grant = v.grants.get(grantId);
      if (grant && grant.revokedAt === undefined) {
        grant.revokedAt = at;
        grant.revocationReason = reason;
      }
      return v;
    },
    AuthorizationCodeIssued: (v, e) => {
      const d = data<CodeIssuedEvent['data']>(e);
      if (v.grants.has(d.grantId)) return v;
      v.grants.set(d.grantId, { grantId: d.grantId, clientId: d.clientId, sub: d.sub, scope: d.scope, createdAt: e.recordedAt.getTime() });
      push(v.grantsByClient, d.clientId, d.grantId);
      push(v.grantsBySubject, d.sub, d.grantId);
      return v;
    },
    SessionStarted: (v, e) => {
      const d = data<SessionStartedEvent['data']>(e);
      if (v.sessions.has(d.sidHash)) return v;
      v.sessions.set(d.sidHash, { sidHash: d.sidHash, sub: d.sub, authTime: d.authTime, exp: d.exp, amr: d.amr });
      push(v.sessionsBySubject, d.sub, d.sidHash);
      return v;
    },
    SessionEnded: (v, e) => {
      const d = data<SessionEndedEvent['data']>(e);
      const session = v.sessions.get(d.sidHash);
      if (session && session.endedAt === undefined) {
        session.endedAt = e.recordedAt.getTime();
        session.endReason = d.reason;
      }
      return v;
    },
  },
});
