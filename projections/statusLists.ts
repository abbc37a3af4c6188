import type { AccessTokenIssuedEvent, TokenRevokedEvent } from '../src/domain/tokens/events.js';
import type { RecordedEvent } from '../src/ledger/eventStore.js';
import { defineProjection } from './projection.js';

/**
 * Token Status Lists (draft-ietf-oauth-status-list), built from the ledger so any instance serves
 * any list. Each JWT access token's AccessTokenIssued event names its slot (list id, bit index;
 * src/tokens/statusList.ts allocates them); a revocation sets the bit: TokenRevoked for the token,
 * GrantRevoked for every access token of the grant, ClientDisabled for every token of the client
 * (introspection treats a disabled client's tokens as inactive too). A set bit is never cleared.
 *
 * Nothing here reads the wall clock (a replay must rebuild the same view): the "now" that drops a
 * list is the latest `iat` the ledger has recorded. A list is dropped once every token in it has
 * expired (plus a leeway for clock skew between instances): a verifier rejects those on `exp`.
 */
export interface StatusListEntry {
  /** Bit array, LSB first (the draft's order); capacity may exceed `size`. */
  bits: Uint8Array;
  /** Highest allocated index + 1: the published list covers every slot handed out. */
  size: number;
  /** Latest `exp` of a token in the list. */
  maxExp: number;
  jtis: string[];
}

export interface StatusSlotRef {
  list: string;
  idx: number;
  grantId: string | null;
  clientId: string;
}

export interface StatusListsView {
  lists: Map<string, StatusListEntry>;
  /** Tokens that may still be revoked: jti → slot. Dropped once revoked or their list is dropped. */
  tokens: Map<string, StatusSlotRef>;
  byGrant: Map<string, Set<string>>;
  byClient: Map<string, Set<string>>;
  /** Latest iat seen (epoch s): the view's clock. */
  clock: number;
}

/** Clock skew allowed between instances before a fully expired list is dropped. */
const DROP_LEEWAY_SECONDS = 300;

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
}

function setBit(v: StatusListsView, jti: string): void {
  const ref = v.tokens.get(jti);
  if (!ref) return;
  const list = v.lists.get(ref.list);
  if (list) list.bits[ref.idx >> 3] |= 1 << (ref.idx & 7);
  forget(v, jti);
}

function dropExpired(v: StatusListsView): void {
  for (const [id, list] of v.lists) {
    if (list.maxExp + DROP_LEEWAY_SECONDS >= v.clock) continue;
    for (const jti of list.jtis) forget(v, jti);
    v.lists.delete(id);
  }
}

function issued(v: StatusListsView, e: RecordedEvent): StatusListsView {
  const d = data<AccessTokenIssuedEvent['data']>(e);
  if (d.iat > v.clock) {
    const sweep = Math.floor(d.iat / 60) !== Math.floor(v.clock / 60);
    v.clock = d.iat;
    if (sweep) dropExpired(v);
  }
  const slot = d.statusList;
  if (!slot || v.tokens.has(d.jti)) return v;
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
  v.tokens.set(d.jti, { list: slot.id, idx: slot.idx, grantId: d.grantId, clientId: d.clientId });
  if (d.grantId) addTo(v.byGrant, d.grantId, d.jti);
  addTo(v.byClient, d.clientId, d.jti);
  return v;
}

export const statusListsProjection = defineProjection<StatusListsView>({
  name: 'statusLists',
  version: 1,
  initialState: () => ({ lists: new Map(), tokens: new Map(), byGrant: new Map(), byClient: new Map(), clock: 0 }),
  on: {
    AccessTokenIssued: issued,
    TokenRevoked: (v, e) => {
      const d = data<TokenRevokedEvent['data']>(e);
      if (d.kind === 'access_token') setBit(v, d.jti);
      return v;
    },
    GrantRevoked: (v, e) => {
      const { grantId } = data<{ grantId: string }>(e);
      for (const jti of [...(v.byGrant.get(grantId) ?? [])]) setBit(v, jti);
      return v;
    },
    ClientDisabled: (v, e) => {
      const { clientId } = data<{ clientId: string }>(e);
      for (const jti of [...(v.byClient.get(clientId) ?? [])]) setBit(v, jti);
      return v;
    },
  },
});

/** The published bit array of a list: exactly ceil(size / 8) bytes, or undefined for an unknown list. */
export function statusListBytes(v: StatusListsView, id: string): Uint8Array | undefined {
  const list = v.lists.get(id);
  return list && list.bits.slice(0, Math.max(1, Math.ceil(list.size / 8)));
}
