import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { HistoryIndex, streamOf, type IndexedToken } from '../../projections/historyIndex.js';
import { HistoryQueries, type TokenQuery, type TokenStatusName } from '../../projections/historyQueries.js';
import { TokenStatus } from '../../src/graphql/types.js';
import type { RecordedEvent } from '../../src/eventsourcing/eventStore.js';

/**
 * The reference: the index as it first was — a Map of token objects and lists of jtis — with the
 * page selection it answered GraphQL with. The SQLite index must agree with it on every token,
 * every list and every page.
 */
interface Model {
  tokens: Map<string, IndexedToken>;
  order: string[];
  byClient: Map<string, string[]>;
  bySubject: Map<string, string[]>;
  byGrant: Map<string, string[]>;
}
const emptyModel = (): Model => ({
  tokens: new Map(),
  order: [],
  byClient: new Map(),
  bySubject: new Map(),
  byGrant: new Map(),
});
const push = (m: Map<string, string[]>, k: string, v: string) => (m.get(k) ?? m.set(k, []).get(k)!).push(v);

function modelApply(m: Model, e: RecordedEvent): void {
  const d = e.data as Record<string, any>;
  const revoke = (jti: string, reason: string) => {
    const t = m.tokens.get(jti);
    if (t && t.revokedAt === undefined)
      Object.assign(t, { revokedAt: e.recordedAt.getTime(), revocationReason: reason });
  };
  switch (e.type) {
    case 'AccessTokenIssued':
    case 'RefreshTokenIssued': {
      if (m.tokens.has(d.jti)) return;
      const t: IndexedToken = {
        jti: d.jti,
        kind: e.type === 'AccessTokenIssued' ? 'access_token' : 'refresh_token',
        seq: m.order.length,
        clientId: d.clientId,
        sub: d.sub,
        scope: d.scope,
        aud: e.type === 'AccessTokenIssued' ? [...d.aud] : [],
        iat: d.iat,
        exp: d.exp,
        grantId: d.grantId,
      };
      if (e.stream !== streamOf(t)) t.stream = e.stream;
      m.tokens.set(t.jti, t);
      m.order.push(t.jti);
      push(m.byClient, t.clientId, t.jti);
      push(m.bySubject, t.sub, t.jti);
      if (t.grantId) push(m.byGrant, t.grantId, t.jti);
      return;
    }
    case 'RefreshTokenRotated':
      return revoke(d.jti, 'rotated');
    case 'TokenRevoked':
      return revoke(d.jti, d.reason);
    case 'GrantRevoked':
      for (const jti of m.byGrant.get(d.grantId) ?? []) revoke(jti, d.reason);
  }
}

/** selectTokens as it was, over the reference. */
function modelSelect(m: Model, filter: TokenQuery, afterSeq: number, limit: number, nowMs: number) {
  const base =
    filter.grantId !== undefined
      ? (m.byGrant.get(filter.grantId) ?? [])
      : filter.clientId !== undefined
        ? (m.byClient.get(filter.clientId) ?? [])
        : filter.subject !== undefined
          ? (m.bySubject.get(filter.subject) ?? [])
          : m.order;
  const after = filter.issuedAfter ? filter.issuedAfter.getTime() / 1000 : undefined;
  const before = filter.issuedBefore ? filter.issuedBefore.getTime() / 1000 : undefined;
  const status = (t: IndexedToken): TokenStatusName =>
    t.revokedAt !== undefined ? TokenStatus.REVOKED : t.exp * 1000 <= nowMs ? TokenStatus.EXPIRED : TokenStatus.ACTIVE;
  const matches = (t: IndexedToken) =>
    (filter.clientId === undefined || t.clientId === filter.clientId) &&
    (filter.subject === undefined || t.sub === filter.subject) &&
    (filter.grantId === undefined || t.grantId === filter.grantId) &&
    (filter.kind === undefined || t.kind === filter.kind) &&
    (after === undefined || t.iat > after) &&
    (before === undefined || t.iat < before) &&
    (filter.status === undefined || status(t) === filter.status);
  const residual =
    filter.kind !== undefined ||
    after !== undefined ||
    before !== undefined ||
    filter.status !== undefined ||
    [filter.clientId, filter.subject, filter.grantId].filter((v) => v !== undefined).length > 1;
  if (!residual) {
    let lo = 0;
    let hi = base.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((m.tokens.get(base[mid])?.seq ?? 0) <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    return {
      page: base.slice(lo, lo + limit).map((jti) => m.tokens.get(jti)!),
      total: base.length,
      hasNextPage: lo + limit < base.length,
    };
  }
  const page: IndexedToken[] = [];
  let total = 0;
  let hasNextPage = false;
  for (const jti of base) {
    const t = m.tokens.get(jti)!;
    if (!matches(t)) continue;
    total++;
    if (t.seq <= afterSeq) continue;
    if (page.length < limit) page.push(t);
    else hasNextPage = true;
  }
  return { page, total, hasNextPage };
}

let position = 0n;
const T0 = 1_800_000_000_000;
const recorded = (type: string, stream: string, data: object, at: number): RecordedEvent =>
  ({
    id: `e${++position}`,
    type,
    stream,
    revision: 0,
    position,
    recordedAt: new Date(at),
    data,
    metadata: {},
  }) as unknown as RecordedEvent;

/** An index in a file of its own, and its reads. */
function openIndex(file: string) {
  const index = new HistoryIndex(file);
  return { index, q: new HistoryQueries(index.db) };
}
type Opened = ReturnType<typeof openIndex>;
const dir = mkdtempSync(join(tmpdir(), 'history-'));
let files = 0;
const newFile = () => join(dir, `history-${files++}.sqlite`);
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Ids: UUIDs (kept as bytes) and, now and then, other strings (kept aside). */
const JTIS = Array.from({ length: 40 }, (_, i) => (i % 7 === 3 ? `odd-jti-${i}` : randomUUID()));
const GRANTS = Array.from({ length: 6 }, (_, i) => (i === 5 ? 'grant-not-a-uuid' : randomUUID()));
const CLIENTS = ['c1', 'c2', 'c3'];
const SUBJECTS = ['alice', 'bob', 'c1'];

type Op =
  | {
      op: 'issue';
      kind: 'access' | 'refresh';
      jti: number;
      client: number;
      sub: number;
      grant: number;
      scope: number;
      aud: number;
      iat: number;
      life: number;
      oddStream: boolean;
    }
  | { op: 'rotate' | 'revoke'; jti: number; reason: number }
  | { op: 'revokeGrant'; grant: number; reason: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('issue' as const),
      kind: fc.constantFrom('access' as const, 'refresh' as const),
      jti: fc.nat(JTIS.length - 1),
      client: fc.nat(2),
      sub: fc.nat(2),
      grant: fc.integer({ min: -1, max: GRANTS.length - 1 }),
      scope: fc.nat(2),
      aud: fc.nat(2),
      iat: fc.integer({ min: 0, max: 100 }),
      life: fc.integer({ min: 1, max: 200 }),
      oddStream: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constantFrom('rotate' as const, 'revoke' as const),
      jti: fc.nat(JTIS.length - 1),
      reason: fc.nat(2),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('revokeGrant' as const),
      grant: fc.nat(GRANTS.length - 1),
      reason: fc.nat(2),
    }),
  },
);

const REASONS = ['operator', 'compromised', 'logout'];
const SCOPES = ['', 'openid', 'orders:read orders:write'];
const AUDS = [[], ['https://api.example'], ['a', 'b']];
const BASE_IAT = 1_800_000_000;

function eventOf(op: Op, at: number): RecordedEvent {
  if (op.op === 'issue') {
    const jti = JTIS[op.jti];
    const grantId = op.grant < 0 ? null : GRANTS[op.grant];
    const stream = op.oddStream ? `elsewhere-${op.jti}` : grantId ? `grant-${grantId}` : `token-${jti}`;
    const data = {
      jti,
      clientId: CLIENTS[op.client],
      sub: SUBJECTS[op.sub],
      scope: SCOPES[op.scope],
      iat: BASE_IAT + op.iat,
      exp: BASE_IAT + op.iat + op.life,
      grantId,
      ...(op.kind === 'access' ? { aud: AUDS[op.aud] } : {}),
    };
    return recorded(op.kind === 'access' ? 'AccessTokenIssued' : 'RefreshTokenIssued', stream, data, at);
  }
  if (op.op === 'revokeGrant')
    return recorded(
      'GrantRevoked',
      `grant-${GRANTS[op.grant]}`,
      { grantId: GRANTS[op.grant], reason: REASONS[op.reason] },
      at,
    );
  if (op.op === 'rotate') return recorded('RefreshTokenRotated', 'grant-x', { jti: JTIS[op.jti] }, at);
  return recorded('TokenRevoked', 'token-x', { jti: JTIS[op.jti], reason: REASONS[op.reason] }, at);
}

const FILTERS: TokenQuery[] = [
  {},
  { clientId: 'c1' },
  { clientId: 'nobody' },
  { subject: 'alice' },
  { subject: 'c1' },
  { grantId: GRANTS[0] },
  { grantId: GRANTS[5] },
  { grantId: 'no-such-grant' },
  { clientId: 'c2', subject: 'bob' },
  { grantId: GRANTS[1], clientId: 'c3' },
  { status: TokenStatus.ACTIVE },
  { clientId: 'c1', status: TokenStatus.REVOKED },
  { subject: 'bob', status: TokenStatus.EXPIRED },
  { kind: 'refresh_token' },
  { clientId: 'nobody', kind: 'access_token' },
  { issuedAfter: new Date((BASE_IAT + 30) * 1000), issuedBefore: new Date((BASE_IAT + 80) * 1000) },
];
const NOW_MS = (BASE_IAT + 120) * 1000;

function assertSame({ q }: Opened, m: Model): void {
  const all = q.dump().tokens;
  assert.deepEqual(
    all.map((t) => t.jti),
    m.order,
  );
  for (const [jti, want] of m.tokens) assert.deepEqual(q.tokenByJti(jti), want, `token ${jti}`);
  for (const jti of JTIS) if (!m.tokens.has(jti)) assert.equal(q.tokenByJti(jti), undefined);
  const jtis = (filter: TokenQuery) => q.selectTokens(filter, -1, 1000, NOW_MS).page.map((t) => t.jti);
  for (const c of [...CLIENTS, 'nobody'])
    assert.deepEqual(jtis({ clientId: c }), m.byClient.get(c) ?? [], `client ${c}`);
  for (const s of [...SUBJECTS, 'nobody'])
    assert.deepEqual(jtis({ subject: s }), m.bySubject.get(s) ?? [], `subject ${s}`);
  for (const g of [...GRANTS, 'nothing'])
    assert.deepEqual(
      q.tokensOfGrant(g).map((t) => t.jti),
      m.byGrant.get(g) ?? [],
      `grant ${g}`,
    );
  for (const c of CLIENTS) {
    const live = m.order.filter(
      (jti) =>
        m.tokens.get(jti)!.clientId === c &&
        m.tokens.get(jti)!.revokedAt === undefined &&
        m.tokens.get(jti)!.exp * 1000 > NOW_MS,
    );
    assert.deepEqual(
      q.liveTokensOf({ clientId: c }, NOW_MS).map((t) => t.jti),
      live,
      `live tokens of ${c}`,
    );
  }
  for (const filter of FILTERS) {
    for (const limit of [1, 3, 100]) {
      // Page through the whole list, cursor by cursor, as a client would.
      let after = -1;
      for (let guard = 0; guard < 100; guard++) {
        const got = q.selectTokens(filter, after, limit, NOW_MS);
        const want = modelSelect(m, filter, after, limit, NOW_MS);
        assert.deepEqual(got, want, `filter ${JSON.stringify(filter)} after ${after} limit ${limit}`);
        if (!got.hasNextPage) break;
        after = got.page.at(-1)!.seq;
      }
    }
  }
}

describe('history index (SQLite, on disk)', () => {
  it('agrees with a map of token objects through issue, rotate, revoke and grant revocation, across a reopen', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), fc.array(opArb, { maxLength: 30 }), (before, after) => {
        const file = newFile();
        let v = openIndex(file);
        const m = emptyModel();
        let at = T0;
        // In batches of varying size, as the runner delivers them.
        const feed = (ops: Op[]) => {
          for (let i = 0; i < ops.length;) {
            const n = 1 + (i % 4);
            const batch = ops.slice(i, i + n).map((op) => eventOf(op, (at += 1000)));
            v.index.apply(batch);
            for (const e of batch) modelApply(m, e);
            i += n;
          }
        };
        feed(before);
        assertSame(v, m);
        // Closed and opened again (a restart), then more events on the reopened index.
        v.index.close();
        v = openIndex(file);
        assertSame(v, m);
        feed(after);
        assertSame(v, m);
        v.index.close();
      }),
      { numRuns: 60 },
    );
  });

  it('applies a batch once: positions it holds are skipped, also when another process got there first', () => {
    const file = newFile();
    const a = openIndex(file);
    const b = openIndex(file);
    const jti = randomUUID();
    const issued = recorded(
      'AccessTokenIssued',
      `token-${jti}`,
      { jti, clientId: 'a', sub: 'a', scope: '', aud: [], iat: 1, exp: 2, grantId: null },
      T0,
    );
    const revoked = recorded('TokenRevoked', `token-${jti}`, { jti, reason: 'first' }, T0 + 1);
    a.index.apply([issued, revoked]);
    b.index.apply([issued]);
    b.index.apply([issued, revoked]);
    assert.equal(b.q.dump().tokens.length, 1);
    assert.equal(b.q.tokenByJti(jti)!.revocationReason, 'first');
    assert.equal(b.index.position(), revoked.position);
    assert.deepEqual(b.index.lastEvent(), { id: revoked.id, stream: revoked.stream, revision: revoked.revision });
    b.index.reset();
    assert.equal(a.q.tokenByJti(jti), undefined);
    assert.equal(b.index.position(), 0n);
    a.index.close();
    b.index.close();
  });

  it('numbers tokens in issue order and finds every one again, also after a reopen', () => {
    const file = newFile();
    const v = openIndex(file);
    const jtis: string[] = [];
    const batch: RecordedEvent[] = [];
    for (let i = 0; i < 5000; i++) {
      const jti = i % 1000 === 7 ? `legacy-${i}` : randomUUID();
      jtis.push(jti);
      const grantId = i % 3 ? `${randomUUID()}` : null;
      batch.push(
        recorded(
          'AccessTokenIssued',
          grantId ? `grant-${grantId}` : `token-${jti}`,
          {
            jti,
            clientId: `client-${i % 7}`,
            sub: `user-${i % 11}`,
            scope: 's',
            aud: ['x'],
            iat: i,
            exp: i + 60,
            grantId,
          },
          T0 + i,
        ),
      );
    }
    v.index.apply(batch);
    v.index.close();
    const reopened = openIndex(file);
    assert.equal(reopened.q.dump().tokens.length, 5000);
    jtis.forEach((jti, i) => {
      const t = reopened.q.tokenByJti(jti)!;
      assert.equal(t.seq, i);
      assert.equal(t.clientId, `client-${i % 7}`);
    });
    assert.deepEqual(
      reopened.q.selectTokens({ clientId: 'client-3' }, -1, 1000, 0).page.map((t) => t.seq),
      jtis.map((_, i) => i).filter((i) => i % 7 === 3),
    );
    assert.equal(reopened.q.tokenByJti(randomUUID()), undefined);
    assert.equal(reopened.q.tokenByJti('legacy-8'), undefined);
    reopened.index.close();
  });

  it('keeps a token issued twice once, and its first issue wins', () => {
    const jti = randomUUID();
    const { index, q } = openIndex(newFile());
    index.apply([
      recorded(
        'AccessTokenIssued',
        `token-${jti}`,
        { jti, clientId: 'a', sub: 'a', scope: '', aud: [], iat: 1, exp: 2, grantId: null },
        T0,
      ),
    ]);
    index.apply([
      recorded(
        'AccessTokenIssued',
        `token-${jti}`,
        { jti, clientId: 'b', sub: 'b', scope: '', aud: [], iat: 1, exp: 2, grantId: null },
        T0,
      ),
    ]);
    assert.equal(q.dump().tokens.length, 1);
    assert.equal(q.tokenByJti(jti)!.clientId, 'a');
    assert.deepEqual(q.selectTokens({ clientId: 'b' }, -1, 10, 0).page, []);
    index.close();
  });

  it('a file written before grants recorded how they were requested gains the columns, and keeps its rows', () => {
    const file = newFile();
    const grant = (grantId: string, extra: object = {}) =>
      recorded(
        'AuthorizationCodeIssued',
        `grant-${grantId}`,
        { grantId, clientId: 'a', sub: 'alice', scope: 'openid', ...extra },
        T0,
      );
    const first = openIndex(file);
    first.index.apply([grant('g-old')]);
    // As the file was: no origin columns.
    first.index.db.exec('ALTER TABLE grants DROP COLUMN pushed_request_id');
    first.index.db.exec('ALTER TABLE grants DROP COLUMN request_object');
    first.index.close();
    const reopened = openIndex(file);
    reopened.index.apply([grant('g-par', { pushedRequestId: 'p'.repeat(43), requestObject: true })]);
    assert.deepEqual(
      reopened.q.grantsOf({ clientId: 'a' }).map((g) => [g.grantId, g.pushedRequestId, g.requestObject]),
      [
        ['g-old', undefined, undefined],
        ['g-par', 'p'.repeat(43), true],
      ],
    );
    reopened.index.close();
  });
});
