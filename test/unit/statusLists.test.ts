import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statusListBytes, statusListsProjection, type StatusListsView } from '../../projections/statusLists.js';
import type { RecordedEvent } from '../../src/eventsourcing/eventStore.js';
import { recorded } from '../helpers/views.js';

const issued = (jti: string, list: string, idx: number, iat: number, extra: object = {}) =>
  recorded('AccessTokenIssued', {
    jti,
    tokenHash: jti.padEnd(43, 'h'),
    format: 'jwt',
    clientId: 'c',
    sub: 'c',
    scope: '',
    aud: ['x'],
    iat,
    exp: iat + 600,
    grantType: 'client_credentials',
    kid: 'k',
    grantId: null,
    statusList: { id: list, idx },
    ...extra,
  });

describe('status-list view', () => {
  const apply = (v: StatusListsView, e: RecordedEvent) => statusListsProjection.on[e.type](v, e);
  const bit = (v: StatusListsView, list: string, idx: number) => (statusListBytes(v, list)![idx >> 3] >> (idx & 7)) & 1;

  it('sets bits on token, grant and client revocation, covers every index, and drops expired lists', () => {
    let v = statusListsProjection.initialState();
    v = apply(v, issued('a', 'L', 0, 1000));
    v = apply(v, issued('b', 'L', 9, 1000, { grantId: 'g' }));
    v = apply(v, issued('c', 'L', 3, 1000, { clientId: 'd' }));
    v = apply(
      v,
      recorded('AccessTokenIssued', {
        ...(issued('o', 'L', 0, 1000).data as object),
        jti: 'o',
        format: 'opaque',
        statusList: undefined,
      }),
    );
    assert.equal(statusListBytes(v, 'L')!.length, 2, 'ceil(10 / 8) bytes');
    assert.deepEqual(
      [0, 9, 3].map((i) => bit(v, 'L', i)),
      [0, 0, 0],
    );
    v = apply(
      v,
      recorded('TokenRevoked', { jti: 'a', tokenHash: 'a'.padEnd(43, 'h'), kind: 'access_token', reason: 'r' }),
    );
    v = apply(v, recorded('GrantRevoked', { grantId: 'g', reason: 'r' }));
    v = apply(v, recorded('ClientDisabled', { clientId: 'd' }));
    assert.deepEqual(
      [0, 9, 3, 1].map((i) => bit(v, 'L', i)),
      [1, 1, 1, 0],
    );
    assert.equal(v.tokens.size, 0, 'revoked tokens need no more tracking');
    // An issuance long after every token of L expired drops L (the view's clock is the ledger's iat).
    v = apply(v, issued('z', 'M', 0, 1000 + 600 + 301 + 60));
    assert.equal(statusListBytes(v, 'L'), undefined);
    assert.ok(statusListBytes(v, 'M'));
  });

  it('holds an entry per live token only: it goes a minute after its exp, while its list stays published', () => {
    let v = statusListsProjection.initialState();
    // Short-lived tokens (60 s) issued over 100 s into one list (a list covers an hour of issuance).
    for (let t = 0; t < 100; t++) v = apply(v, issued(`t${t}`, 'L', t, 10_000 + t, { exp: 10_000 + t + 60 }));
    assert.equal(v.tokens.size, 100, 'all live');
    // 50 s later: the first tokens are past exp + 60 s, the rest not yet.
    v = apply(v, issued('n1', 'L', 100, 10_150, { exp: 10_150 + 60 }));
    const held = v.tokens.size;
    assert.ok(held < 101 && held > 40, `${held} entries`);
    assert.ok(!v.tokens.has('t0') && v.tokens.has('t99'));
    // A revocation of a token whose entry is gone changes nothing and does not fail.
    v = apply(
      v,
      recorded('TokenRevoked', { jti: 't0', tokenHash: 't0'.padEnd(43, 'h'), kind: 'access_token', reason: 'r' }),
    );
    assert.equal(bit(v, 'L', 0), 0);
    // Well past every exp: one entry (the newest), and the list still published with every slot.
    v = apply(v, issued('n2', 'L', 101, 10_300, { exp: 10_300 + 60 }));
    assert.deepEqual([...v.tokens.keys()], ['n2']);
    assert.equal(v.lists.get('L')!.jtis.length, 1);
    assert.equal(statusListBytes(v, 'L')!.length, Math.ceil(102 / 8));
  });
});
