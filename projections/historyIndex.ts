import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateDir, ensurePrivateFile } from '../src/config/privateFiles.js';
import type { AccessTokenIssuedEvent, TokenRevokedEvent } from '../src/domain/tokens/events.js';
import type { CodeIssuedEvent, RefreshIssuedEvent } from '../src/domain/grants/events.js';
import type { SessionStartedEvent, SessionEndedEvent } from '../src/domain/sessions/events.js';
import { DEVICE_CODE_GRANT } from '../src/domain/clients/events.js';
import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import type { AppliedEvent, DurableView } from '../src/eventsourcing/durableView.js';
import { DERIVED_REVOCATION_REASON, type Act } from '../src/domain/exchange/events.js';
import { ACTIVITY_DATA_TYPES, ACTIVITY_SCHEMA, ActivityBatch, type Revocation } from './historyActivity.js';

/** One access or refresh token ever issued: claims only (never its hash), and how it ended. */
export interface IndexedToken {
  jti: string;
  kind: 'access_token' | 'refresh_token';
  /** Issue order across the whole index, from 0: the pagination cursor. */
  seq: number;
  clientId: string;
  sub: string;
  scope: string;
  aud: string[];
  /** epoch seconds */
  iat: number;
  exp: number;
  grantId: string | null;
  /** RFC 9449: the thumbprint of the DPoP key a bound token is bound to; absent for a bearer token. */
  jkt?: string;
  /**
   * The stream holding its events, kept only when it is not the usual one (`grant-<grantId>` for a
   * grant's tokens, `token-<jti>` otherwise): read it with `streamOf`.
   */
  stream?: string;
  /** epoch ms */
  revokedAt?: number;
  revocationReason?: string;
  /** RFC 8693: the jti of the token this one was exchanged for, and the grant its chain started in. */
  derivedFrom?: string;
  rootGrant?: string;
  /** Its `act` claim (RFC 8693 §4.1), and the current actor (act.sub) that the `actor` filter finds. */
  act?: Act;
  actor?: string;
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
  /** RFC 9126: the pushed request (SHA-256 of its request_uri) the grant was asked for with; absent: front channel. */
  pushedRequestId?: string;
  /** RFC 9101: the request came as a signed request object. */
  requestObject?: boolean;
  /** RFC 8628: a person approved a device at /device (the grant's subject is who). */
  device?: boolean;
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

/** The stream holding a token's events. */
export const streamOf = (t: Pick<IndexedToken, 'jti' | 'grantId' | 'stream'>): string =>
  t.stream ?? (t.grantId ? `grant-${t.grantId}` : `token-${t.jti}`);

/** Bumped whenever the tables or the meaning of a row change: an older file is rebuilt from zero. */
export const HISTORY_SCHEMA_VERSION = '5';

const SCHEMA =
  `\n` +
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;\n` +
  `CREATE TABLE tokens (\n` +
  `  seq INTEGER PRIMARY KEY,\n` +
  `  jti TEXT NOT NULL UNIQUE,\n` +
  `  refresh INTEGER NOT NULL,\n` +
  `  client TEXT NOT NULL,\n` +
  `  sub TEXT NOT NULL,\n` +
  `  scope TEXT NOT NULL,\n` +
  `  aud TEXT NOT NULL,\n` +
  `  iat REAL NOT NULL,\n` +
  `  exp REAL NOT NULL,\n` +
  `  grant_id TEXT,\n` +
  `  stream TEXT,\n` +
  `  revoked_at REAL,\n` +
  `  reason TEXT,\n` +
  `  jkt TEXT,\n` +
  `  derived_from TEXT,\n` +
  `  root_grant TEXT,\n` +
  `  act TEXT,\n` +
  `  actor TEXT\n` +
  `);\n` +
  `CREATE INDEX tokens_by_parent ON tokens (derived_from, seq) WHERE derived_from IS NOT NULL;\n` +
  `CREATE INDEX tokens_by_root_grant ON tokens (root_grant, seq) WHERE root_grant IS NOT NULL;\n` +
  `CREATE INDEX tokens_by_actor ON tokens (actor, seq) WHERE actor IS NOT NULL;\n` +
  `CREATE INDEX tokens_by_client ON tokens (client, seq);\n` +
  `CREATE INDEX tokens_by_sub ON tokens (sub, seq);\n` +
  `CREATE INDEX tokens_by_grant ON tokens (grant_id, seq) WHERE grant_id IS NOT NULL;\n` +
  `-- How many tokens each client and subject has (and '' for all): an operator's list shows its total\n` +
  `-- without counting a client's million rows on every page.\n` +
  `CREATE TABLE token_counts (by TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (by, key)) ` +
  `WITHOUT ROWID;\n` +
  `CREATE TABLE grants (\n` +
  `  seq INTEGER PRIMARY KEY,\n` +
  `  grant_id TEXT NOT NULL UNIQUE,\n` +
  `  client TEXT NOT NULL,\n` +
  `  sub TEXT NOT NULL,\n` +
  `  scope TEXT NOT NULL,\n` +
  `  created_at REAL NOT NULL,\n` +
  `  revoked_at REAL,\n` +
  `  reason TEXT,\n` +
  `  pushed_request_id TEXT,\n` +
  `  request_object INTEGER,\n` +
  `  device INTEGER\n` +
  `);\n` +
  `CREATE INDEX grants_by_client ON grants (client, seq);\n` +
  `CREATE INDEX grants_by_sub ON grants (sub, seq);\n` +
  `CREATE TABLE sessions (\n` +
  `  seq INTEGER PRIMARY KEY,\n` +
  `  sid_hash TEXT NOT NULL UNIQUE,\n` +
  `  sub TEXT NOT NULL,\n` +
  `  auth_time REAL NOT NULL,\n` +
  `  exp REAL NOT NULL,\n` +
  `  amr TEXT NOT NULL,\n` +
  `  ended_at REAL,\n` +
  `  end_reason TEXT\n` +
  `);\n` +
  `CREATE INDEX sessions_by_sub ON sessions (sub, seq);\n` +
  ACTIVITY_SCHEMA;

/**
 * How a grant was asked for, added to a file of this schema version written before it was recorded: no grant there
 * came from a pushed request or a request object (neither existed), so the empty columns are already the truth.
 */
function addGrantOrigin(db: Database.Database): void {
  const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('grants') as string[];
  if (!columns.includes('pushed_request_id')) db.exec('ALTER TABLE grants ADD COLUMN pushed_request_id TEXT');
  if (!columns.includes('request_object')) db.exec('ALTER TABLE grants ADD COLUMN request_object INTEGER');
  if (!columns.includes('device')) db.exec('ALTER TABLE grants ADD COLUMN device INTEGER');
}

/** Every table but meta: what a reset empties. */
const ROW_TABLES = ['tokens', 'token_counts', 'grants', 'sessions', 'activity'];

const data = <T>(e: RecordedEvent) => (e as unknown as { data: T }).data;

type Statements = ReturnType<typeof prepare>;

function prepare(db: Database.Database) {
  return {
    meta: db.prepare<[string]>('SELECT value FROM meta WHERE key = ?').pluck(),
    setMeta: db.prepare<[string, string]>(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
    nextSeq: db.prepare('SELECT coalesce(max(seq) + 1, 0) FROM tokens').pluck(),
    insertToken: db.prepare(
      `INSERT INTO tokens (seq, jti, refresh, client, sub, scope, aud, iat, exp, grant_id, stream, jkt, ` +
        `derived_from, root_grant, act, actor)\n` +
        `       VALUES (@seq, @jti, @refresh, @client, @sub, @scope, @aud, @iat, @exp, @grantId, @stream, @jkt, ` +
        `@derivedFrom, @rootGrant, @act, @actor) ` +
        `ON CONFLICT (jti) DO NOTHING`,
    ),
    count: db.prepare<[string, string]>(
      'INSERT INTO token_counts (by, key, n) VALUES (?, ?, 1) ON CONFLICT (by, key) DO UPDATE SET n = n + 1',
    ),
    revokeToken: db.prepare<[number, string, string]>(
      'UPDATE tokens SET revoked_at = ?, reason = ? WHERE jti = ? AND revoked_at IS NULL',
    ),
    revokeGrantTokens: db.prepare<[number, string, string]>(
      'UPDATE tokens SET revoked_at = ?, reason = ? WHERE grant_id = ? AND revoked_at IS NULL',
    ),
    // RFC 8693: what was exchanged from a revoked token ends with it, down the whole chain.
    revokeDerived: db.prepare<[{ jti: string; at: number; reason: string }]>(
      `WITH RECURSIVE d(jti) AS (SELECT jti FROM tokens WHERE derived_from = @jti ` +
        `UNION SELECT t.jti FROM tokens t JOIN d ON t.derived_from = d.jti) ` +
        `UPDATE tokens SET revoked_at = @at, reason = @reason WHERE jti IN (SELECT jti FROM d) AND revoked_at IS NULL`,
    ),
    revokeDerivedOfGrant: db.prepare<[number, string, string]>(
      'UPDATE tokens SET revoked_at = ?, reason = ? WHERE root_grant = ? AND revoked_at IS NULL',
    ),
    parentRevoked: db.prepare<[string]>('SELECT 1 FROM tokens WHERE jti = ? AND revoked_at IS NOT NULL').pluck(),
    grantRevoked: db.prepare<[string]>('SELECT 1 FROM grants WHERE grant_id = ? AND revoked_at IS NOT NULL').pluck(),
    clientOfToken: db.prepare<[string]>('SELECT client FROM tokens WHERE jti = ?').pluck(),
    clientOfGrant: db.prepare<[string]>('SELECT client FROM grants WHERE grant_id = ?').pluck(),
    insertGrant: db.prepare(
      `INSERT INTO grants (grant_id, client, sub, scope, created_at, pushed_request_id, request_object, device) ` +
        `VALUES (@grantId, @client, @sub, @scope, @createdAt, @pushedRequestId, @requestObject, @device) ` +
        `ON CONFLICT (grant_id) DO NOTHING`,
    ),
    revokeGrant: db.prepare<[number, string, string]>(
      'UPDATE grants SET revoked_at = ?, reason = ? WHERE grant_id = ? AND revoked_at IS NULL',
    ),
    insertSession: db.prepare(
      `INSERT INTO sessions (sid_hash, sub, auth_time, exp, amr) VALUES (@sidHash, @sub, @authTime, @exp, @amr)` +
        ` ON CONFLICT (sid_hash) DO NOTHING`,
    ),
    endSession: db.prepare<[number, string, string]>(
      'UPDATE sessions SET ended_at = ?, end_reason = ? WHERE sid_hash = ? AND ended_at IS NULL',
    ),
  };
}

/** Why an exchanged token ended when the index applied it itself, before (or without) its own TokenRevoked. */
const DERIVED_REASON = DERIVED_REVOCATION_REASON;

/** A revocation's handler answers the tokens it ended, for the activity counts (historyActivity.ts). */
type Handler = (s: Statements, e: RecordedEvent, next: { seq: number }) => void | Revocation;

function issue(s: Statements, e: RecordedEvent, next: { seq: number }, kind: 'access_token' | 'refresh_token'): void {
  const d = data<AccessTokenIssuedEvent['data'] & RefreshIssuedEvent['data']>(e);
  const usual = streamOf({ jti: d.jti, grantId: d.grantId });
  const row = {
    seq: next.seq,
    jti: d.jti,
    refresh: kind === 'refresh_token' ? 1 : 0,
    client: d.clientId,
    sub: d.sub,
    scope: d.scope,
    aud: JSON.stringify(kind === 'access_token' ? d.aud : []),
    iat: d.iat,
    exp: d.exp,
    grantId: d.grantId,
    stream: e.stream === usual ? null : e.stream,
    jkt: d.jkt ?? null,
    derivedFrom: d.derivedFrom?.jti ?? null,
    rootGrant: d.derivedFrom?.grantId ?? null,
    act: d.act ? JSON.stringify(d.act) : null,
    actor: d.act?.sub ?? null,
  };
  if (s.insertToken.run(row).changes === 0) return;
  next.seq++;
  // Exchanged from a token revoked before this was recorded (a revocation that won the race): revoked from the start.
  const from = d.derivedFrom;
  if (from && (s.parentRevoked.get(from.jti) || (from.grantId !== null && s.grantRevoked.get(from.grantId))))
    s.revokeToken.run(e.recordedAt.getTime(), DERIVED_REASON, d.jti);
  s.count.run('all', '');
  s.count.run('client', d.clientId);
  s.count.run('sub', d.sub);
}

/** The events this view reads, and what each does to its tables. */
const HANDLERS: Record<string, Handler> = {
  AccessTokenIssued: (s, e, next) => issue(s, e, next, 'access_token'),
  RefreshTokenIssued: (s, e, next) => issue(s, e, next, 'refresh_token'),
  // A rotated refresh token can no longer be used: for operators it is revoked, reason "rotated".
  RefreshTokenRotated: (s, e) =>
    void s.revokeToken.run(e.recordedAt.getTime(), 'rotated', data<{ jti: string }>(e).jti),
  TokenRevoked: (s, e) => {
    const d = data<TokenRevokedEvent['data']>(e);
    const tokens =
      s.revokeToken.run(e.recordedAt.getTime(), d.reason, d.jti).changes +
      s.revokeDerived.run({ jti: d.jti, at: e.recordedAt.getTime(), reason: DERIVED_REASON }).changes;
    return { client: (s.clientOfToken.get(d.jti) as string | undefined) ?? null, tokens };
  },
  GrantRevoked: (s, e) => {
    const { grantId, reason } = data<{ grantId: string; reason: string }>(e);
    const tokens =
      s.revokeGrantTokens.run(e.recordedAt.getTime(), reason, grantId).changes +
      s.revokeDerivedOfGrant.run(e.recordedAt.getTime(), DERIVED_REASON, grantId).changes;
    s.revokeGrant.run(e.recordedAt.getTime(), reason, grantId);
    return { client: (s.clientOfGrant.get(grantId) as string | undefined) ?? null, tokens };
  },
  AuthorizationCodeIssued: (s, e) => {
    const d = data<CodeIssuedEvent['data']>(e);
    s.insertGrant.run({
      grantId: d.grantId,
      client: d.clientId,
      sub: d.sub,
      scope: d.scope,
      createdAt: e.recordedAt.getTime(),
      pushedRequestId: d.pushedRequestId ?? null,
      requestObject: d.requestObject ? 1 : null,
      // A device's grant redirects nowhere: its code names the device flow (src/application/deviceAuthorization.ts).
      device: d.redirectUri === DEVICE_CODE_GRANT ? 1 : null,
    });
  },
  SessionStarted: (s, e) => {
    const d = data<SessionStartedEvent['data']>(e);
    s.insertSession.run({
      sidHash: d.sidHash,
      sub: d.sub,
      authTime: d.authTime,
      exp: d.exp,
      amr: JSON.stringify(d.amr),
    });
  },
  SessionEnded: (s, e) => {
    const d = data<SessionEndedEvent['data']>(e);
    s.endSession.run(e.recordedAt.getTime(), d.reason, d.sidHash);
  },
};

/** The events whose data the index reads; of the others it needs only the position, the place and the time. */
export const READS_DATA_OF: ReadonlySet<string> = new Set([...Object.keys(HANDLERS), ...ACTIVITY_DATA_TYPES]);

/**
 * The history index: every access and refresh token ever issued, every grant, every session, with
 * per-client, per-subject and per-grant lists in issue order — in a SQLite file next to the
 * checkpoint, not in memory, since it grows with every token ever issued. Rows hold claims only,
 * never a token or its hash. Instances sharing a data directory share the file: each applies a
 * batch only past the position stored in it, so a batch is applied once whoever gets there first.
 * The file is a cache of the ledger: deleting it rebuilds it, and WAL with synchronous=NORMAL keeps
 * it consistent through a crash (a lost tail is simply applied again).
 */
export class HistoryIndex implements DurableView {
  readonly name = 'history';
  readonly db: Database.Database;
  private s: Statements;
  private applied = 0n;
  private readonly applyBatch: Database.Transaction<(batch: RecordedEvent[]) => bigint>;

  constructor(file: string) {
    if (file !== ':memory:') {
      ensurePrivateDir(dirname(file));
      ensurePrivateFile(file);
    }
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.s = this.open();
    this.applied = this.storedPosition();
    this.applyBatch = this.db.transaction((batch: RecordedEvent[]): bigint => {
      let position = this.storedPosition();
      let last: RecordedEvent | undefined;
      const next = { seq: this.s.nextSeq.get() as number };
      const activity = new ActivityBatch();
      for (const e of batch) {
        if (e.position <= position) continue;
        activity.note(e, HANDLERS[e.type]?.(this.s, e, next) as Revocation | undefined);
        position = e.position;
        last = e;
      }
      activity.flush(this.db);
      if (last)
        this.s.setMeta.run(
          'head',
          JSON.stringify({ position: position.toString(), id: last.id, stream: last.stream, revision: last.revision }),
        );
      return position;
    });
  }

  /** The tables, created (or recreated, when they are of another schema version) in one transaction. */
  private open(): Statements {
    this.db
      .transaction(() => {
        const hasMeta = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
        const version = hasMeta
          ? this.db.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck().get()
          : undefined;
        if (version === HISTORY_SCHEMA_VERSION) return addGrantOrigin(this.db);
        for (const t of ['meta', ...ROW_TABLES]) this.db.exec(`DROP TABLE IF EXISTS ${t}`);
        this.db.exec(SCHEMA);
        this.db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(HISTORY_SCHEMA_VERSION);
      })
      .immediate();
    return prepare(this.db);
  }

  /** Where the file stands: the position and the event there (written by whichever process applied it). */
  private head(): (AppliedEvent & { position: string }) | undefined {
    const value = this.s.meta.get('head') as string | undefined;
    return value === undefined ? undefined : (JSON.parse(value) as AppliedEvent & { position: string });
  }

  private storedPosition(): bigint {
    const head = this.head();
    return head === undefined ? 0n : BigInt(head.position);
  }

  position(): bigint {
    return this.applied;
  }

  lastEvent(): AppliedEvent | null {
    return this.stored().last;
  }

  /** Where the file stands, read at once (another instance sharing it may have moved it past `position()`). */
  stored(): { position: bigint; last: AppliedEvent | null } {
    const head = this.head();
    return head === undefined
      ? { position: 0n, last: null }
      : { position: BigInt(head.position), last: { id: head.id, stream: head.stream, revision: head.revision } };
  }

  /**
   * Also for a batch of events it does not read: the stored position must move past them, or a
   * restart would read them all again (the runner batches the calls, so this is one small
   * transaction every few milliseconds at most).
   */
  apply(batch: RecordedEvent[]): void {
    if (batch.length === 0 || batch[batch.length - 1].position <= this.applied) return;
    this.applied = this.applyBatch.immediate(batch);
  }

  /**
   * Drops the rows whose events lived in `streams`, which `token-ledger prune` has just deleted from
   * the ledger: afterwards the file holds what a rebuild from the pruned ledger would (row for row;
   * only the pagination cursors keep their gaps). The index cannot do this when it reads
   * LedgerPruned: that event counts the streams, it does not list them.
   */
  forgetStreams(streams: readonly string[]): void {
    const pruned = new Set(streams);
    const st = {
      unusual: this.db.prepare('SELECT jti, client, sub, stream FROM tokens WHERE stream IS NOT NULL'),
      standalone: this.db.prepare<[string]>(
        'SELECT jti, client, sub FROM tokens WHERE jti = ? AND stream IS NULL AND grant_id IS NULL',
      ),
      ofGrant: this.db.prepare<[string]>('SELECT jti, client, sub FROM tokens WHERE grant_id = ? AND stream IS NULL'),
      dropToken: this.db.prepare<[string]>('DELETE FROM tokens WHERE jti = ?'),
      uncount: this.db.prepare<[string, string]>('UPDATE token_counts SET n = n - 1 WHERE by = ? AND key = ?'),
      dropGrant: this.db.prepare<[string]>('DELETE FROM grants WHERE grant_id = ?'),
      dropSession: this.db.prepare<[string]>('DELETE FROM sessions WHERE sid_hash = ?'),
    };
    type Row = { jti: string; client: string; sub: string };
    const drop = (rows: Row[]) => {
      for (const t of rows) {
        st.dropToken.run(t.jti);
        st.uncount.run('all', '');
        st.uncount.run('client', t.client);
        st.uncount.run('sub', t.sub);
      }
    };
    const after = (stream: string, prefix: string) =>
      stream.startsWith(prefix) ? stream.slice(prefix.length) : undefined;
    this.db
      .transaction(() => {
        // Rows in a stream of their own are few: one pass over them, then an indexed lookup per stream.
        drop((st.unusual.all() as Array<Row & { stream: string }>).filter((t) => pruned.has(t.stream)));
        for (const stream of pruned) {
          const jti = after(stream, 'token-');
          if (jti !== undefined) drop(st.standalone.all(jti) as Row[]);
          const grantId = after(stream, 'grant-');
          if (grantId !== undefined) {
            drop(st.ofGrant.all(grantId) as Row[]);
            st.dropGrant.run(grantId);
          }
          const sidHash = after(stream, 'session-');
          if (sidHash !== undefined) st.dropSession.run(sidHash);
        }
        // A rebuild has no count for a client or subject left without tokens.
        this.db.exec('DELETE FROM token_counts WHERE n <= 0');
      })
      .immediate();
  }

  reset(): void {
    this.db
      .transaction(() => {
        for (const t of ROW_TABLES) this.db.exec(`DELETE FROM ${t}`);
        this.db.exec("DELETE FROM meta WHERE key = 'head'");
      })
      .immediate();
    this.applied = 0n;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
