import type Database from 'better-sqlite3';
import type { Act } from '../src/domain/exchange/events.js';
import type { IndexedGrant, IndexedSession, IndexedToken } from './historyIndex.js';
import { SELECT_ACTIVITY, type ActivityRow } from './historyActivity.js';

export type TokenStatusName = 'ACTIVE' | 'REVOKED' | 'EXPIRED';

export interface TokenQuery {
  clientId?: string;
  subject?: string;
  grantId?: string;
  /** RFC 8693: tokens whose current actor (act.sub) is this. */
  actor?: string;
  status?: TokenStatusName;
  kind?: string;
  issuedAfter?: Date;
  issuedBefore?: Date;
}

interface TokenRow {
  seq: number;
  jti: string;
  refresh: number;
  client: string;
  sub: string;
  scope: string;
  aud: string;
  iat: number;
  exp: number;
  grant_id: string | null;
  stream: string | null;
  revoked_at: number | null;
  reason: string | null;
  jkt: string | null;
  derived_from: string | null;
  root_grant: string | null;
  act: string | null;
  actor: string | null;
}

interface GrantRow {
  grant_id: string;
  client: string;
  sub: string;
  scope: string;
  created_at: number;
  revoked_at: number | null;
  reason: string | null;
  pushed_request_id: string | null;
  request_object: number | null;
  device: number | null;
}

interface SessionRow {
  sid_hash: string;
  sub: string;
  auth_time: number;
  exp: number;
  amr: string;
  ended_at: number | null;
  end_reason: string | null;
}

function toToken(r: TokenRow): IndexedToken {
  const t: IndexedToken = {
    jti: r.jti,
    kind: r.refresh ? 'refresh_token' : 'access_token',
    seq: r.seq,
    clientId: r.client,
    sub: r.sub,
    scope: r.scope,
    aud: JSON.parse(r.aud) as string[],
    iat: r.iat,
    exp: r.exp,
    grantId: r.grant_id,
  };
  if (r.stream !== null) t.stream = r.stream;
  if (r.jkt !== null) t.jkt = r.jkt;
  if (r.derived_from !== null) t.derivedFrom = r.derived_from;
  if (r.root_grant !== null) t.rootGrant = r.root_grant;
  if (r.act !== null) t.act = JSON.parse(r.act) as Act;
  if (r.actor !== null) t.actor = r.actor;
  if (r.revoked_at !== null) {
    t.revokedAt = r.revoked_at;
    t.revocationReason = r.reason ?? '';
  }
  return t;
}

function toGrant(r: GrantRow): IndexedGrant {
  const g: IndexedGrant = {
    grantId: r.grant_id,
    clientId: r.client,
    sub: r.sub,
    scope: r.scope,
    createdAt: r.created_at,
  };
  if (r.revoked_at !== null) {
    g.revokedAt = r.revoked_at;
    g.revocationReason = r.reason ?? '';
  }
  if (r.pushed_request_id !== null) g.pushedRequestId = r.pushed_request_id;
  if (r.request_object) g.requestObject = true;
  if (r.device) g.device = true;
  return g;
}

function toSession(r: SessionRow): IndexedSession {
  const s: IndexedSession = {
    sidHash: r.sid_hash,
    sub: r.sub,
    authTime: r.auth_time,
    exp: r.exp,
    amr: JSON.parse(r.amr) as string[],
  };
  if (r.ended_at !== null) {
    s.endedAt = r.ended_at;
    s.endReason = r.end_reason ?? '';
  }
  return s;
}

/** The conditions of a token filter as SQL, with their parameters. */
function whereOf(filter: TokenQuery, nowMs: number): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...values: unknown[]) => {
    conditions.push(sql);
    params.push(...values);
  };
  if (filter.clientId !== undefined) add('client = ?', filter.clientId);
  if (filter.subject !== undefined) add('sub = ?', filter.subject);
  if (filter.grantId !== undefined) add('grant_id = ?', filter.grantId);
  if (filter.actor !== undefined) add('actor = ?', filter.actor);
  if (filter.kind !== undefined)
    add('refresh = ?', filter.kind === 'refresh_token' ? 1 : filter.kind === 'access_token' ? 0 : -1);
  if (filter.issuedAfter !== undefined) add('iat > ?', filter.issuedAfter.getTime() / 1000);
  if (filter.issuedBefore !== undefined) add('iat < ?', filter.issuedBefore.getTime() / 1000);
  if (filter.status === 'REVOKED') add('revoked_at IS NOT NULL');
  else if (filter.status === 'EXPIRED') add('revoked_at IS NULL AND exp * 1000 <= ?', nowMs);
  else if (filter.status === 'ACTIVE') add('revoked_at IS NULL AND exp * 1000 > ?', nowMs);
  return { sql: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

/** Reads of the history index: each an indexed lookup or range, a page at a time. */
export class HistoryQueries {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  /** Statements are prepared once per distinct SQL text (filters combine into a few dozen at most). */
  private st(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  tokenByJti(jti: string): IndexedToken | undefined {
    const row = this.st('SELECT * FROM tokens WHERE jti = ?').get(jti) as TokenRow | undefined;
    return row && toToken(row);
  }

  /**
   * A page of the tokens matching the filter in issue order, after the cursor `afterSeq`, and how many match in all.
   */
  selectTokens(
    filter: TokenQuery,
    afterSeq: number,
    limit: number,
    nowMs = Date.now(),
  ): { page: IndexedToken[]; total: number; hasNextPage: boolean } {
    const where = whereOf(filter, nowMs);
    const total =
      this.kept(filter) ??
      (this.st(`SELECT count(*) FROM tokens ${where.sql}`)
        .pluck()
        .get(...where.params) as number);
    const rest = `${where.sql ? `${where.sql} AND` : 'WHERE'} seq > ? ORDER BY seq LIMIT ?`;
    const rows = this.st(`SELECT * FROM tokens ${rest}`).all(...where.params, afterSeq, limit + 1) as TokenRow[];
    return { page: rows.slice(0, limit).map(toToken), total, hasNextPage: rows.length > limit };
  }

  /** The total of a list the index keeps a count for: all tokens, a client's, a subject's. */
  private kept(filter: TokenQuery): number | undefined {
    const keys = Object.keys(filter).filter((k) => filter[k as keyof TokenQuery] !== undefined);
    const [by, key] =
      keys.length === 0
        ? ['all', '']
        : keys.length === 1 && keys[0] === 'clientId'
          ? ['client', filter.clientId!]
          : keys.length === 1 && keys[0] === 'subject'
            ? ['sub', filter.subject!]
            : [];
    if (by === undefined) return undefined;
    return (
      (this.st('SELECT n FROM token_counts WHERE by = ? AND key = ?').pluck().get(by, key) as number | undefined) ?? 0
    );
  }

  /** The tokens exchanged for this one (RFC 8693), in issue order. */
  derivativesOf(jti: string): IndexedToken[] {
    return (this.st('SELECT * FROM tokens WHERE derived_from = ? ORDER BY seq').all(jti) as TokenRow[]).map(toToken);
  }

  /**
   * Every token exchanged from this token, or from any token of this grant, down the whole chain, that has not
   * expired at `nowMs` (revoked or not: the index ends them itself before their own TokenRevoked is written).
   */
  exchangedFrom(of: { jti: string } | { grantId: string }, nowMs: number): string[] {
    const sql =
      'jti' in of
        ? `WITH RECURSIVE d(jti, exp) AS (SELECT jti, exp FROM tokens WHERE derived_from = ? ` +
          `UNION SELECT t.jti, t.exp FROM tokens t JOIN d ON t.derived_from = d.jti) ` +
          `SELECT jti FROM d WHERE exp * 1000 > ?`
        : 'SELECT jti FROM tokens WHERE root_grant = ? AND exp * 1000 > ? ORDER BY seq';
    return this.st(sql)
      .pluck()
      .all('jti' in of ? of.jti : of.grantId, nowMs) as string[];
  }

  tokensOfGrant(grantId: string): IndexedToken[] {
    return (this.st('SELECT * FROM tokens WHERE grant_id = ? ORDER BY seq').all(grantId) as TokenRow[]).map(toToken);
  }

  /** The live (neither revoked nor expired) tokens of a client or subject: jti and grant. */
  liveTokensOf(
    by: { clientId: string } | { subject: string },
    nowMs: number,
  ): Array<{ jti: string; grantId: string | null }> {
    const [column, value] = 'clientId' in by ? ['client', by.clientId] : ['sub', by.subject];
    const sql =
      `SELECT jti, grant_id AS grantId FROM tokens WHERE ${column} = ? AND revoked_at IS NULL AND exp * 1000 > ? ` +
      `ORDER BY seq`;
    return this.st(sql).all(value, nowMs) as Array<{ jti: string; grantId: string | null }>;
  }

  /**
   * How many tokens `liveTokensOf` lists (what revokeClientTokens and revokeSubjectTokens revoke and answer), counted
   * in the index without reading the rows out.
   */
  liveTokenCount(by: { clientId: string } | { subject: string }, nowMs: number): number {
    const [column, value] = 'clientId' in by ? ['client', by.clientId] : ['sub', by.subject];
    const sql = `SELECT count(*) FROM tokens WHERE ${column} = ? AND revoked_at IS NULL AND exp * 1000 > ?`;
    return this.st(sql).pluck().get(value, nowMs) as number;
  }

  /** The live tokens revokeGrant ends: the grant's own and those exchanged from them (RFC 8693). */
  liveTokenCountOfGrant(grantId: string, nowMs: number): number {
    const sql =
      'SELECT count(*) FROM tokens WHERE (grant_id = ? OR root_grant = ?) AND revoked_at IS NULL AND exp * 1000 > ?';
    return this.st(sql).pluck().get(grantId, grantId, nowMs) as number;
  }

  /** The grant's refresh tokens in issue order: its rotation chain. */
  refreshTokensOfGrant(grantId: string): IndexedToken[] {
    const sql = 'SELECT * FROM tokens WHERE grant_id = ? AND refresh = 1 ORDER BY seq';
    return (this.st(sql).all(grantId) as TokenRow[]).map(toToken);
  }

  /** Activity counts per bucket (historyActivity.ts); client '' for every client. */
  activity(client: string, fromMinute: number, toMinute: number, bucketMinutes: number): ActivityRow[] {
    return this.st(SELECT_ACTIVITY).all({
      client,
      from: fromMinute,
      to: toMinute,
      size: bucketMinutes,
    }) as ActivityRow[];
  }

  grant(grantId: string): IndexedGrant | undefined {
    const row = this.st('SELECT * FROM grants WHERE grant_id = ?').get(grantId) as GrantRow | undefined;
    return row && toGrant(row);
  }

  grantsOf(by: { clientId: string } | { subject: string }): IndexedGrant[] {
    const [column, value] = 'clientId' in by ? ['client', by.clientId] : ['sub', by.subject];
    return (this.st(`SELECT * FROM grants WHERE ${column} = ? ORDER BY seq`).all(value) as GrantRow[]).map(toGrant);
  }

  sessionsOf(subject: string): IndexedSession[] {
    return (this.st('SELECT * FROM sessions WHERE sub = ? ORDER BY seq').all(subject) as SessionRow[]).map(toSession);
  }

  /** Every row, in order, as plain values: for comparing two indexes (a live one and one rebuilt from zero). */
  dump(): { tokens: IndexedToken[]; grants: IndexedGrant[]; sessions: IndexedSession[] } {
    return {
      tokens: (this.st('SELECT * FROM tokens ORDER BY seq').all() as TokenRow[]).map(toToken),
      grants: (this.st('SELECT * FROM grants ORDER BY seq').all() as GrantRow[]).map(toGrant),
      sessions: (this.st('SELECT * FROM sessions ORDER BY seq').all() as SessionRow[]).map(toSession),
    };
  }
}
