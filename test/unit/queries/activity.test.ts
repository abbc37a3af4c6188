import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ACTIVITY_RETAIN_MINUTES } from '../../../projections/historyActivity.js';
import { HistoryIndex } from '../../../projections/historyIndex.js';
import { HistoryQueries } from '../../../projections/historyQueries.js';
import { activityBuckets, MAX_ACTIVITY_BUCKETS } from '../../../src/application/queries/activity.js';
import { Refusal } from '../../../src/domain/refusal.js';
import type { RecordedEvent } from '../../../src/eventsourcing/eventStore.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 31, 12, 0, 0);

/** A ledger fed by hand: events with the recordedAt the test chooses. */
function ledger() {
  const index = new HistoryIndex(':memory:');
  const queries = new HistoryQueries(index.db);
  let position = 0n;
  const apply = (type: string, data: Record<string, unknown>, atMs: number, stream = `s-${randomUUID()}`) => {
    position++;
    const e = {
      id: randomUUID(),
      type,
      stream,
      revision: 0,
      position,
      recordedAt: new Date(atMs),
      data,
      metadata: { actor: 'test', correlationId: 'c', causationId: null, schemaVersion: 1, prevHash: '', hash: '' },
    } as unknown as RecordedEvent;
    index.apply([e]);
  };
  const issue = (clientId: string, atMs: number, extra: Record<string, unknown> = {}) => {
    const jti = randomUUID();
    apply(
      'AccessTokenIssued',
      {
        jti,
        tokenHash: 'h'.repeat(43),
        format: 'opaque',
        clientId,
        sub: clientId,
        scope: '',
        aud: ['https://api.example'],
        iat: Math.floor(atMs / 1000),
        exp: Math.floor(atMs / 1000) + 3600,
        grantType: 'client_credentials',
        kid: null,
        grantId: null,
        ...extra,
      },
      atMs,
    );
    return jti;
  };
  return { index, queries, apply, issue };
}

describe('activity (the history index table behind GraphQL activity)', () => {
  it('counts per client and in all, revocations as the tokens they ended, and only once', () => {
    const { queries, apply, issue } = ledger();
    const a = issue('a', T0);
    issue('a', T0 + 10_000, { grantType: 'refresh_token' });
    issue('b', T0 + MINUTE);
    apply('TokenRevoked', { jti: a, tokenHash: 'h'.repeat(43), kind: 'access_token', reason: 'x' }, T0 + MINUTE);
    // Revoked again: nothing more ends.
    apply('TokenRevoked', { jti: a, tokenHash: 'h'.repeat(43), kind: 'access_token', reason: 'x' }, T0 + MINUTE);
    apply('ClientAuthenticationFailed', { reason: 'invalid_client', clientId: 'b', endpoint: '/token' }, T0);
    apply('ClientAuthenticationFailed', { reason: 'unknown_client', endpoint: '/token' }, T0);
    apply('LoginFailed', { reason: 'invalid_password', clientId: 'b' }, T0 + 2 * MINUTE);

    const at = (clientId?: string) =>
      activityBuckets(
        queries,
        { since: new Date(T0), until: new Date(T0 + 3 * MINUTE), bucketSeconds: 60, ...(clientId ? { clientId } : {}) },
        T0 + 3 * MINUTE,
      ).map(({ at: when, ...counts }) => [(when.getTime() - T0) / MINUTE, Object.values(counts).join('')]);
    // issued refreshed revoked loginFailed clientAuthFailed
    assert.deepEqual(at(), [
      [0, '21002'],
      [1, '10100'],
      [2, '00010'],
    ]);
    assert.deepEqual(at('a'), [
      [0, '21000'],
      [1, '00100'],
      [2, '00000'],
    ]);
    assert.deepEqual(at('b'), [
      [0, '00001'],
      [1, '10000'],
      [2, '00010'],
    ]);
  });

  it('buckets are aligned on since and sum their minutes; limits refuse with a reason', () => {
    const { queries, issue } = ledger();
    for (let m = 0; m < 10; m++) issue('a', T0 + m * MINUTE);
    const five = activityBuckets(
      queries,
      { since: new Date(T0 + 30_000), until: new Date(T0 + 10 * MINUTE), bucketSeconds: 300 },
      T0 + 10 * MINUTE,
    );
    assert.deepEqual(
      five.map((b) => [b.at.getTime() - T0, b.issued]),
      [
        [0, 5],
        [5 * MINUTE, 5],
      ],
    );
    const refusal = (bucketSeconds: number, sinceMs: number, untilMs?: number) => {
      const request = { since: new Date(sinceMs), bucketSeconds, ...(untilMs ? { until: new Date(untilMs) } : {}) };
      try {
        activityBuckets(queries, request, T0);
      } catch (err) {
        assert.ok(err instanceof Refusal);
        return err.reason;
      }
      return 'answered';
    };
    assert.equal(refusal(30, T0 - MINUTE), 'invalid_bucket');
    assert.equal(refusal(86_460, T0 - MINUTE), 'invalid_bucket');
    assert.equal(refusal(60, T0, T0 - 1), 'invalid_range');
    assert.equal(refusal(60, T0 - MAX_ACTIVITY_BUCKETS * MINUTE), 'answered');
    assert.equal(refusal(60, T0 - (MAX_ACTIVITY_BUCKETS + 1) * MINUTE), 'too_many_buckets');
  });

  it('keeps 48 hours by the ledger clock: older rows go, and are left out of answers', () => {
    const { index, issue } = ledger();
    issue('a', T0);
    issue('a', T0 + (ACTIVITY_RETAIN_MINUTES - 1) * MINUTE);
    const rows = () => index.db.prepare("SELECT count(*) FROM activity WHERE client = ''").pluck().get();
    assert.equal(rows(), 2);
    issue('a', T0 + ACTIVITY_RETAIN_MINUTES * MINUTE);
    assert.equal(rows(), 2, 'the first minute fell out');
  });

  it('a rebuild from zero holds the same rows (the table is made of the ledger only)', () => {
    const events: RecordedEvent[] = [];
    const live = new HistoryIndex(':memory:');
    const original = live.apply.bind(live);
    live.apply = (batch) => {
      events.push(...batch);
      original(batch);
    };
    let position = 0n;
    for (let i = 0; i < 50; i++) {
      position++;
      live.apply([
        {
          id: randomUUID(),
          type: 'AccessTokenIssued',
          stream: `token-${i}`,
          revision: 0,
          position,
          recordedAt: new Date(T0 + i * 7_000),
          data: { jti: `j${i}`, clientId: `c${i % 3}`, sub: 's', scope: '', aud: ['x'], iat: 0, exp: 1, grantId: null },
          metadata: {},
        } as unknown as RecordedEvent,
      ]);
    }
    const rebuilt = new HistoryIndex(':memory:');
    rebuilt.apply(events);
    const dump = (i: HistoryIndex) => i.db.prepare('SELECT * FROM activity ORDER BY client, minute').all();
    assert.deepEqual(dump(rebuilt), dump(live));
    assert.equal(dump(live).length, 4 * 6);
  });
});
