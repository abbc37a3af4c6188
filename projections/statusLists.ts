import type { AccessTokenIssuedEvent, TokenRevokedEvent } from '../src/domain/tokens/events.js';
import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import { defineProjection } from './projection.js';

/**
 * Token Status Lists (draft-ietf-oauth-status-list), built from the ledger so any instance serves
 * any list. Each JWT access token's AccessTokenIssued event names its slot (list id, bit index;
 * src/crypto/statusList.ts allocates them); a revocation sets the bit: TokenRevoked for the token,
 * GrantRevoked for every access token of the grant, ClientDisabled for every token of the client
 * (introspection treats a disabled client's tokens as inactive too), UserDisabled and
 * UserSessionsRevoked for every token the user holds through a grant. A token exchanged for another (RFC 8693,
 * `derivedFrom`) goes with it, down the chain, and with the grant its chain started in. A set bit is never cleared.
 *
 * Nothing here reads the wall clock (a replay must rebuild the same view): the "now" is the latest
 * `iat` the ledger has recorded. A token's entry (what a revocation needs to find its bit) goes a
 * minute after its own `exp` — a verifier rejects it on `exp` by then — so the view holds the live
 * tokens, not an hour of issuance; a list's bits stay published until every token in it has expired,
 * plus a leeway for clock skew between instances.
 */
export interface StatusListEntry {
  /** Bit array, LSB first (the draft's order); capacity may exceed `size`. */
  bits: Uint8Array;
  /** Highest allocated index + 1: the published list covers every slot handed out. */
  size: number;
  /** Latest `exp` of a token in the list. */
  maxExp: number;
  /** The list's tokens that may still have an entry, in issue order. */
  jtis: string[];
}

export interface StatusSlotRef {
  list: string;
  idx: number;
  /** The token's own expiry (epoch s): its entry goes a minute after it. */
  exp: number;
  grantId: string | null;
  clientId: string;
  /** The user, for a token issued through a grant; null for client_credentials. */
  sub: string | null;
  /** RFC 8693: the token it was exchanged for, and that token's client (when another). */
  parent?: { jti: string; clientId: string };
}

export interface StatusListsView {
  lists: Map<string, StatusListEntry>;
  /** Tokens that may still be revoked: jti → slot. Dropped once revoked or their list is dropped. */
  tokens: Map<string, StatusSlotRef>;
  byGrant: Map<string, Set<string>>;
  byClient: Map<string, Set<string>>;
  bySub: Map<string, Set<string>>;
  /**
   * RFC 8693: tokens by the jti of the token they were exchanged for. A revoked token's bit goes with every bit
   * exchanged from it, down the chain (the parent may be opaque, without a bit of its own).
   */
  children: Map<string, Set<string>>;
  /**
   * Access tokens and grants (`grant:<id>`) revoked lately (view clock, epoch s): a token exchanged from one of them
   * by a request that checked before the revocation arrived gets its bit set at once.
   */
  recentlyRevoked: Map<string, number>;
  /** Latest iat seen (epoch s): the view's clock. */
  clock: number;
}

/** Clock skew allowed between instances before a fully expired list is dropped. */
const DROP_LEEWAY_SECONDS = 300;
/** Clock skew a verifier may allow on `exp`: a token's entry stays this long after it. */
const ENTRY_LEEWAY_SECONDS = 60;
/** How often (in the view's clock) expired entries and lists are swept. */
const SWEEP_EVERY_SECONDS = 10;

const data = <T>(e: RecordedEvent) => (e as unknown as { data: T }).data;

function addTo(map: Map<string, Set<string>>, key: string, jti: string): void {
  const set = map.get(key);
  if (set) set.add(jti);
  else map.set(key, new Set([jti]));
}

function removeFrom(map: Map<string, Set<string>>, key: string, jti: string): void {
  const set = map.get(key);
  set?.delete(jti);
  if (set?.size === 0) map.delete(key);
}

function forget(v: StatusListsView, jti: string): void {
  const ref = v.tokens.get(jti);
  if (!ref) return;
  v.tokens.delete(jti);
  if (ref.grantId) removeFrom(v.byGrant, ref.grantId, jti);
  removeFrom(v.byClient, ref.clientId, jti);
  if (ref.sub) removeFrom(v.bySub, ref.sub, jti);
  if (ref.parent) {
    removeFrom(v.children, ref.parent.jti, jti);
    if (ref.parent.clientId !== ref.clientId) removeFrom(v.byClient, ref.parent.clientId, jti);
  }
}

function setBit(v: StatusListsView, jti: string): void {
  const children = v.children.get(jti);
  if (children) {
    v.children.delete(jti);
    for (const child of children) setBit(v, child);
  }
  const ref = v.tokens.get(jti);
  if (!ref) return;
  const list = v.lists.get(ref.list);
  if (list) list.bits[ref.idx >> 3] |= 1 << (ref.idx & 7);
  forget(v, jti);
}

/** How long a revocation is remembered for the exchanges that raced it. */
const RECENT_SECONDS = 300;

function dropExpired(v: StatusListsView): void {
  for (const [key, at] of v.recentlyRevoked) if (at + RECENT_SECONDS < v.clock) v.recentlyRevoked.delete(key);
  for (const [id, list] of v.lists) {
    if (list.maxExp + DROP_LEEWAY_SECONDS < v.clock) {
      for (const jti of list.jtis) forget(v, jti);
      v.lists.delete(id);
      continue;
    }
    // Issue order is nearly expiry order; a longer-lived token ahead holds the rest back a while.
    let done = 0;
    for (const jti of list.jtis) {
      const ref = v.tokens.get(jti);
      if (ref && ref.exp + ENTRY_LEEWAY_SECONDS >= v.clock) break;
      forget(v, jti);
      done++;
    }
    if (done > 0) list.jtis.splice(0, done);
  }
}

function issued(v: StatusListsView, e: RecordedEvent): StatusListsView {
  const d = data<AccessTokenIssuedEvent['data']>(e);
  if (d.iat > v.clock) {
    const sweep = Math.floor(d.iat / SWEEP_EVERY_SECONDS) !== Math.floor(v.clock / SWEEP_EVERY_SECONDS);
    v.clock = d.iat;
    if (sweep) dropExpired(v);
  }
  const slot = d.statusList;
  if (!slot || v.tokens.has(d.jti)) return v;
  // An exchanged token hangs under its subject token, and its chain's grant (and user) end it as theirs do.
  const grantId = d.grantId ?? d.derivedFrom?.grantId ?? null;
  if (d.derivedFrom) addTo(v.children, d.derivedFrom.jti, d.jti);
  let list = v.lists.get(slot.id);
  if (!list) {
    list = { bits: new Uint8Array(128), size: 0, maxExp: 0, jtis: [] };
    v.lists.set(slot.id, list);
  }
  const bytes = (slot.idx >> 3) + 1;
  if (bytes > list.bits.length) {
    const grown = new Uint8Array(Math.max(bytes, list.bits.length * 2));
    grown.set(list.bits);
    list.bits = grown;
  }
  list.size = Math.max(list.size, slot.idx + 1);
  list.maxExp = Math.max(list.maxExp, d.exp);
  list.jtis.push(d.jti);
  const sub = grantId ? d.sub : null;
  const parent = d.derivedFrom && { jti: d.derivedFrom.jti, clientId: d.derivedFrom.clientId };
  v.tokens.set(d.jti, {
    list: slot.id,
    idx: slot.idx,
    exp: d.exp,
    grantId,
    clientId: d.clientId,
    sub,
    ...(parent ? { parent } : {}),
  });
  if (grantId) addTo(v.byGrant, grantId, d.jti);
  if (parent && parent.clientId !== d.clientId) addTo(v.byClient, parent.clientId, d.jti);
  const from = d.derivedFrom;
  if (from && (v.recentlyRevoked.has(from.jti) || (from.grantId && v.recentlyRevoked.has(`grant:${from.grantId}`))))
    setBit(v, d.jti);
  if (sub) addTo(v.bySub, sub, d.jti);
  addTo(v.byClient, d.clientId, d.jti);
  return v;
}

function userTokensRevoked(v: StatusListsView, e: RecordedEvent): StatusListsView {
  const { sub } = data<{ sub: string }>(e);
  for (const jti of [...(v.bySub.get(sub) ?? [])]) setBit(v, jti);
  return v;
}

export const statusListsProjection = defineProjection<StatusListsView>({
  name: 'statusLists',
  version: 4,
  initialState: () => ({
    lists: new Map(),
    tokens: new Map(),
    byGrant: new Map(),
    byClient: new Map(),
    bySub: new Map(),
    children: new Map(),
    recentlyRevoked: new Map(),
    clock: 0,
  }),
  on: {
    AccessTokenIssued: issued,
    TokenRevoked: (v, e) => {
      const d = data<TokenRevokedEvent['data']>(e);
      if (d.kind === 'access_token') {
        v.recentlyRevoked.set(d.jti, v.clock);
        setBit(v, d.jti);
      }
      return v;
    },
    GrantRevoked: (v, e) => {
      const { grantId } = data<{ grantId: string }>(e);
      v.recentlyRevoked.set(`grant:${grantId}`, v.clock);
      for (const jti of [...(v.byGrant.get(grantId) ?? [])]) setBit(v, jti);
      return v;
    },
    ClientDisabled: (v, e) => {
      const { clientId } = data<{ clientId: string }>(e);
      for (const jti of [...(v.byClient.get(clientId) ?? [])]) setBit(v, jti);
      return v;
    },
    UserDisabled: userTokensRevoked,
    UserSessionsRevoked: userTokensRevoked,
  },
});

/** The published bit array of a list: exactly ceil(size / 8) bytes, or undefined for an unknown list. */
export function statusListBytes(v: StatusListsView, id: string): Uint8Array | undefined {
  const list = v.lists.get(id);
  return list && list.bits.slice(0, Math.max(1, Math.ceil(list.size / 8)));
}
