import type { Act } from '../src/domain/exchange/events.js';
import type { IdTokenIssuedEvent } from '../src/domain/grants/events.js';
import type { AccessTokenIssuedEvent, TokenRevokedEvent } from '../src/domain/tokens/events.js';
import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import { defineProjection } from './projection.js';

/**
 * RFC 8693 token exchange: the ID tokens a subject_token may be (by hash, while they live), and every exchanged
 * access token with where it came from. A derived token ends with what it was derived from, and the view applies
 * that itself, as it applies UserDisabled: TokenRevoked of any token of its chain, GrantRevoked of the grant the
 * chain started in, UserDisabled / UserSessionsRevoked of its subject (for a chain that started in a user's grant),
 * ClientDisabled of any client along the chain. Nothing waits for the TokenRevoked records that follow (written by
 * src/application/revokeDerived.ts): another instance's revocation ends the derived tokens here when it arrives.
 *
 * An ended token stays here (ended) until it expires, so introspection can tell "derived and ended" from "never
 * derived". Time is the latest `iat` recorded, as in the status lists: entries go a minute after their `exp`.
 */
interface ExchangedToken {
  jti: string;
  tokenHash: string;
  sub: string;
  /** The chain's clients: this token's, its subject token's, and theirs up to the first token. */
  clients: string[];
  /** The grant the chain started in, or null (a client_credentials token). */
  rootGrant: string | null;
  parent: string;
  act?: Act;
  /** Exchanges in its chain, itself included. */
  depth: number;
  exp: number;
  ended: boolean;
}

export interface KnownIdToken {
  jti: string;
  grantId: string;
  clientId: string;
  sub: string;
  exp: number;
}

interface TokenExchangeView {
  /** Exchanged access tokens by jti, and their jti by hash. */
  tokens: Map<string, ExchangedToken>;
  byHash: Map<string, string>;
  /** Exchanged tokens by the jti of the token they were exchanged for. */
  children: Map<string, Set<string>>;
  /** Exchanged tokens by the grant their chain started in. */
  byGrant: Map<string, Set<string>>;
  /** Live ID tokens by hash, and their hashes by grant. */
  idTokens: Map<string, KnownIdToken>;
  idTokensOfGrant: Map<string, Set<string>>;
  /**
   * Access tokens and grants (`grant:<id>`) revoked lately, with when (recordedAt, epoch s): a token exchanged from
   * one of them by a request that checked before the revocation arrived is ended from the start. Kept a few
   * minutes, far longer than a token request takes.
   */
  recentlyRevoked: Map<string, number>;
  clock: number;
}

const LEEWAY_SECONDS = 60;
const RECENT_SECONDS = 300;
const SWEEP_EVERY_SECONDS = 10;

const data = <T>(e: RecordedEvent) => (e as unknown as { data: T }).data;

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

function removeFrom(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  set?.delete(value);
  if (set?.size === 0) map.delete(key);
}

/** Ends every token exchanged from `jti`, down the whole tree (a chain is at most ten deep). */
function endChildren(v: TokenExchangeView, jti: string): void {
  for (const child of v.children.get(jti) ?? []) end(v, child);
}

function end(v: TokenExchangeView, jti: string): void {
  const t = v.tokens.get(jti);
  if (t && !t.ended) t.ended = true;
  endChildren(v, jti);
}

function drop(v: TokenExchangeView, t: ExchangedToken): void {
  v.tokens.delete(t.jti);
  v.byHash.delete(t.tokenHash);
  removeFrom(v.children, t.parent, t.jti);
  if (t.rootGrant) removeFrom(v.byGrant, t.rootGrant, t.jti);
}

function dropIdToken(v: TokenExchangeView, hash: string): void {
  const t = v.idTokens.get(hash);
  if (!t) return;
  v.idTokens.delete(hash);
  removeFrom(v.idTokensOfGrant, t.grantId, hash);
}

function tick(v: TokenExchangeView, iat: number): void {
  if (iat <= v.clock) return;
  const sweep = Math.floor(iat / SWEEP_EVERY_SECONDS) !== Math.floor(v.clock / SWEEP_EVERY_SECONDS);
  v.clock = iat;
  if (!sweep) return;
  for (const t of v.tokens.values()) if (t.exp + LEEWAY_SECONDS < iat) drop(v, t);
  for (const [hash, t] of v.idTokens) if (t.exp + LEEWAY_SECONDS < iat) dropIdToken(v, hash);
  for (const [key, at] of v.recentlyRevoked) if (at + RECENT_SECONDS < iat) v.recentlyRevoked.delete(key);
}

const revokedAt = (v: TokenExchangeView, e: RecordedEvent, key: string) =>
  v.recentlyRevoked.set(key, Math.floor(e.recordedAt.getTime() / 1000));

function issued(v: TokenExchangeView, e: RecordedEvent): TokenExchangeView {
  const d = data<AccessTokenIssuedEvent['data']>(e);
  tick(v, d.iat);
  const from = d.derivedFrom;
  if (!from || v.tokens.has(d.jti)) return v;
  const parent = v.tokens.get(from.jti);
  const token: ExchangedToken = {
    jti: d.jti,
    tokenHash: d.tokenHash,
    sub: d.sub,
    clients: [...new Set([d.clientId, ...(parent?.clients ?? [from.clientId])])],
    rootGrant: from.grantId,
    parent: from.jti,
    ...(d.act ? { act: d.act } : {}),
    depth: from.depth,
    exp: d.exp,
    // Exchanged from a token that had already ended (a revocation that won the race): ended from the start.
    ended:
      (parent?.ended ?? false) ||
      v.recentlyRevoked.has(from.jti) ||
      (from.grantId !== null && v.recentlyRevoked.has(`grant:${from.grantId}`)),
  };
  v.tokens.set(d.jti, token);
  v.byHash.set(d.tokenHash, d.jti);
  addTo(v.children, from.jti, d.jti);
  if (from.grantId) addTo(v.byGrant, from.grantId, d.jti);
  return v;
}

function idTokenIssued(v: TokenExchangeView, e: RecordedEvent): TokenExchangeView {
  const d = data<IdTokenIssuedEvent['data']>(e);
  tick(v, d.iat);
  v.idTokens.set(d.tokenHash, { jti: d.jti, grantId: d.grantId, clientId: d.clientId, sub: d.sub, exp: d.exp });
  addTo(v.idTokensOfGrant, d.grantId, d.tokenHash);
  return v;
}

function grantRevoked(v: TokenExchangeView, e: RecordedEvent): TokenExchangeView {
  const { grantId } = data<{ grantId: string }>(e);
  revokedAt(v, e, `grant:${grantId}`);
  for (const jti of v.byGrant.get(grantId) ?? []) end(v, jti);
  for (const hash of [...(v.idTokensOfGrant.get(grantId) ?? [])]) dropIdToken(v, hash);
  return v;
}

/** A user's grants end: so do chains that started in one, and the user's ID tokens. */
function userEnded(v: TokenExchangeView, e: RecordedEvent): TokenExchangeView {
  const { sub } = data<{ sub: string }>(e);
  for (const t of v.tokens.values()) if (t.rootGrant !== null && t.sub === sub) end(v, t.jti);
  for (const [hash, t] of v.idTokens) if (t.sub === sub) dropIdToken(v, hash);
  return v;
}

function clientDisabled(v: TokenExchangeView, e: RecordedEvent): TokenExchangeView {
  const { clientId } = data<{ clientId: string }>(e);
  for (const t of v.tokens.values()) if (t.clients.includes(clientId)) end(v, t.jti);
  for (const [hash, t] of v.idTokens) if (t.clientId === clientId) dropIdToken(v, hash);
  return v;
}

export const tokenExchangeProjection = defineProjection<TokenExchangeView>({
  name: 'tokenExchange',
  version: 1,
  initialState: () => ({
    tokens: new Map(),
    byHash: new Map(),
    children: new Map(),
    byGrant: new Map(),
    idTokens: new Map(),
    idTokensOfGrant: new Map(),
    recentlyRevoked: new Map(),
    clock: 0,
  }),
  on: {
    AccessTokenIssued: issued,
    IdTokenIssued: idTokenIssued,
    TokenRevoked: (v, e) => {
      const { jti, kind } = data<TokenRevokedEvent['data']>(e);
      if (kind === 'access_token') {
        revokedAt(v, e, jti);
        end(v, jti);
      }
      return v;
    },
    GrantRevoked: grantRevoked,
    UserDisabled: userEnded,
    UserSessionsRevoked: userEnded,
    ClientDisabled: clientDisabled,
  },
});

/** The exchanged token with this hash (ended or not), or undefined for a token never exchanged. */
export function exchangedTokenByHash(v: TokenExchangeView, tokenHash: string): ExchangedToken | undefined {
  const jti = v.byHash.get(tokenHash);
  return jti === undefined ? undefined : v.tokens.get(jti);
}

/** An ID token we issued with this hash, while its grant stands and it has not long expired. */
export const idTokenByHash = (v: TokenExchangeView, tokenHash: string): KnownIdToken | undefined =>
  v.idTokens.get(tokenHash);

/** Whether anything was exchanged from this token (live or ended): a revocation then owes records. */
export const hasDerivatives = (v: TokenExchangeView, jti: string): boolean => v.children.has(jti);

/** Whether a chain started in this grant. */
export const grantHasDerivatives = (v: TokenExchangeView, grantId: string): boolean => v.byGrant.has(grantId);
