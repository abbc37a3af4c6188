import { allProjections } from '../../projections/all.js';
import type { Projection } from '../../projections/projection.js';
import type { EventStore, RecordedEvent } from '../eventsourcing/eventStore.js';
import { canonical, sha256Hex } from './canonical.js';
import { applyToTokenLife, statusOf, tokenLife, type TokenLife } from '../domain/tokens/status.js';
import { allEvents, categoryOf } from './store.js';
import { HISTORY_SCHEMA_VERSION, HistoryIndex } from '../../projections/historyIndex.js';
import { HistoryQueries } from '../../projections/historyQueries.js';
import { ConfigError } from '../config/config.js';

type Until = { position: bigint } | { time: Date };

/** `--until`: a global position (digits) or an ISO date-time. */
export function parseUntil(raw: string): Until {
  if (/^\d+$/.test(raw)) return { position: BigInt(raw) };
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(ms)) {
    throw new ConfigError(
      `--until ${JSON.stringify(raw)} is invalid: expected a ledger position (digits) or an ISO date-time such ` +
        `as 2026-01-31T12:00:00Z`,
    );
  }
  return { time: new Date(ms) };
}

export interface TokenCounts {
  issued: number;
  active: number;
  revoked: number;
  expired: number;
}

export interface ReplaySummary {
  events: number;
  streams: number;
  clients: number;
  users: number;
  /** Users erased (UserErased): their personal data reads `erased`. Absent when none was. */
  erasedUsers?: number;
  grants: number;
  /** Access tokens, with their status at `asOf`. */
  tokens: TokenCounts;
  refreshTokensIssued: number;
  idTokensIssued: number;
  /**
   * The moment active/expired are judged at: `--until <time>` when given; otherwise the latest
   * issuance or authentication time found in the replayed events' data (never the wall clock, never
   * the store's recordedAt), so the same ledger always gives the same answer, also after an import.
   */
  asOf: string | null;
  until?: string;
  perClient: Record<string, TokenCounts>;
  digest: string;
}

interface AuditToken {
  clientId: string;
  iat: number;
  /** Issued, revoked, expired: by the same rule as GraphQL's tokenStatusAt. */
  life: TokenLife;
}

const EPOCH = new Date(0);
/** The data fields the summary reads, across the event types it counts (each validated by its schema on append). */
type ReplayedData = {
  jti: string;
  clientId: string;
  grantId?: string | null;
  iat: number;
  exp: number;
  authTime: number;
  kind: string;
};

const zero = (): TokenCounts => ({ issued: 0, active: 0, revoked: 0, expired: 0 });

/**
 * Rebuilds every registered view from zero in memory (no checkpoints), and the history index in a
 * SQLite database of its own in memory, up to `until`, and summarises.
 *
 * The views are fed each event with `recordedAt` set to the Unix epoch and `position` set to its
 * ordinal in the ledger: neither is covered by the integrity hash and both change when a ledger is
 * exported and imported (or moved between stores), so the digest covers exactly the hashed content.
 * `--until <time>` does use recordedAt, to choose where to stop.
 */
export async function replayLedger(
  store: EventStore,
  until?: Until,
  // Views of different state types in one list; each view's state type is checked where it is defined.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Projection<unknown> rejects a typed evolve
  projections: Projection<any>[] = allProjections,
): Promise<ReplaySummary> {
  const states = new Map<string, unknown>();
  const byType = new Map<string, Array<{ name: string; reduce: (s: unknown, e: RecordedEvent) => unknown }>>();
  for (const p of projections) {
    states.set(p.name, p.initialState());
    for (const [type, reduce] of Object.entries(p.on)) {
      const list = byType.get(type) ?? [];
      list.push({ name: p.name, reduce: reduce as (s: unknown, e: RecordedEvent) => unknown });
      byType.set(type, list);
    }
  }

  const history = new HistoryIndex(':memory:');
  let pending: RecordedEvent[] = [];
  const tokens = new Map<string, AuditToken>();
  const streams = new Set<string>();
  const grants = new Set<string>();
  let events = 0;
  let refreshTokensIssued = 0;
  let idTokensIssued = 0;
  let clock: number | null = null;
  const tick = (seconds: unknown) => {
    if (typeof seconds === 'number' && Number.isFinite(seconds))
      clock = clock === null ? seconds : Math.max(clock, seconds);
  };

  for await (const recorded of allEvents(store)) {
    if (until && 'position' in until && recorded.position > until.position) break;
    if (until && 'time' in until && recorded.recordedAt.getTime() > until.time.getTime()) break;
    events++;
    streams.add(recorded.stream);
    if (categoryOf(recorded.stream) === 'grant') grants.add(recorded.stream);
    const e: RecordedEvent = { ...recorded, recordedAt: EPOCH, position: BigInt(events) };
    for (const r of byType.get(e.type) ?? []) states.set(r.name, r.reduce(states.get(r.name), e));
    pending.push(e);
    if (pending.length === 1000) {
      history.apply(pending);
      pending = [];
    }

    const d = e.data as ReplayedData;
    switch (e.type) {
      case 'AccessTokenIssued':
        tokens.set(d.jti, { clientId: d.clientId, iat: d.iat, life: tokenLife(d.jti, d.grantId ?? null, d.exp) });
        applyToTokenLife(tokens.get(d.jti)!.life, e);
        tick(d.iat);
        break;
      case 'IdTokenIssued':
        idTokensIssued++;
        tick(d.iat);
        break;
      case 'RefreshTokenIssued':
        refreshTokensIssued++;
        tick(d.iat);
        break;
      case 'SessionStarted':
        tick(d.authTime);
        break;
      case 'TokenRevoked': {
        const t = d.kind === 'access_token' ? tokens.get(d.jti) : undefined;
        if (t) applyToTokenLife(t.life, e);
        break;
      }
      case 'GrantRevoked':
        for (const t of tokens.values()) applyToTokenLife(t.life, e);
        break;
    }
  }

  const asOfSeconds: number | null = until && 'time' in until ? Math.floor(until.time.getTime() / 1000) : clock;
  const total = zero();
  const perClient = new Map<string, TokenCounts>();
  const clientsView = states.get('clients') as { byId?: Map<string, unknown> } | undefined;
  for (const id of clientsView?.byId?.keys() ?? []) perClient.set(id, zero());
  const status = new Map<string, 'active' | 'revoked' | 'expired'>();
  for (const [jti, t] of tokens) {
    const s = statusOf(t.life, asOfSeconds)!.toLowerCase() as 'active' | 'revoked' | 'expired';
    status.set(jti, s);
    const c = perClient.get(t.clientId) ?? zero();
    perClient.set(t.clientId, c);
    for (const counts of [total, c]) {
      counts.issued++;
      counts[s]++;
    }
  }

  const usersView = states.get('users') as { bySub?: Map<string, { erased?: boolean }> } | undefined;
  const erasedUsers = [...(usersView?.bySub?.values() ?? [])].filter((u) => u.erased === true).length;
  const summary: Omit<ReplaySummary, 'digest'> = {
    events,
    streams: streams.size,
    clients: clientsView?.byId?.size ?? 0,
    users: usersView?.bySub?.size ?? 0,
    ...(erasedUsers > 0 ? { erasedUsers } : {}),
    grants: grants.size,
    tokens: total,
    refreshTokensIssued,
    idTokensIssued,
    asOf: asOfSeconds === null ? null : new Date(asOfSeconds * 1000).toISOString(),
    ...(until ? { until: 'position' in until ? until.position.toString() : until.time.toISOString() } : {}),
    perClient: Object.fromEntries([...perClient].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
  history.apply(pending);
  const historyRows = new HistoryQueries(history.db).dump();
  history.close();
  const views = Object.fromEntries(projections.map((p) => [p.name, { version: p.version, state: states.get(p.name) }]));
  views[history.name] = { version: Number(HISTORY_SCHEMA_VERSION), state: historyRows };
  const digest = sha256Hex(canonical({ format: 1, summary, views, tokenStatus: status }));
  return { ...summary, digest };
}
