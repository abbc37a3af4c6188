import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statusListBytes, statusListsProjection, type StatusListsView } from '../../projections/statusLists.js';
import type { RecordedEvent } from '../../src/ledger/eventStore.js';

let position = 0n;
const recorded = (type: string, data: object): RecordedEvent =>
  ({ id: `e${++position}`, type, stream: 's', revision: 0, position, recordedAt: new Date(), data, metadata: {} }) as unknown as RecordedEvent;
const issued = (jti: string, list: string, idx: number, iat: number, extra: object = {}) =>
  recorded('AccessTokenIssued', {
    jti, tokenHash: jti.padEnd(43, 'h'), format: 'jwt', clientId: 'c', sub: 'c', scope: '', aud: ['x'], iat, exp: iat + 600, grantType: 'client_credentials', kid: 'k', grantId: null, statusList: { id: list, idx }, ...extra,
  });

describe('status-list view', () => {
  const apply = (v: StatusListsView, e: RecordedEvent) => statusListsProjection.on[e.type]!(v, e);
  const bit = (v: StatusListsView, list: string, idx: number) => (statusListBytes(v, list)![idx >> 3]! >> (idx & 7)) & 1;

  it('sets bits on token, grant and client revocation, covers every index, and drops expired lists', () => {
    let v = statusListsProjection.initialState();
    v = apply(v, issued('a', 'L', 0, 1000));
    v = apply(v, issued('b', 'L', 9, 1000, { grantId: 'g' }));
    v = apply(v, issued('c', 'L', 3, 1000, { clientId: 'd' }));
    v = apply(v, recorded('AccessTokenIssued', { ...issued('o', 'L', 0, 1000).data as object, jti: 'o', format: 'opaque', statusList: undefined }));
    assert.equal(statusListBytes(v, 'L')!.length, 2, 'ceil(10 / 8) bytes');
    assert.deepEqual([0, 9, 3].map((i) => bit(v, 'L', i)), [0, 0, 0]);
    v = apply(v, recorded('TokenRevoked', { jti: 'a', tokenHash: 'a'.padEnd(43, 'h'), kind: 'access_token', reason: 'r' }));
    v = apply(v, recorded('GrantRevoked', { grantId: 'g', reason: 'r' }));
    v = apply(v, recorded('ClientDisabled', { clientId: 'd' }));
    assert.deepEqual([0, 9, 3, 1].map((i) => bit(v, 'L', i)), [1, 1, 1, 0]);
    assert.equal(v.tokens.size, 0, 'revoked tokens need no more tracking');
    // An issuance long after every token of L expired drops L (the view's clock is the ledger's iat).
    v = apply(v, issued('z', 'M', 0, 1000 + 600 + 301 + 60));
    assert.equal(statusListBytes(v, 'L'), undefined);
    assert.ok(statusListBytes(v, 'M'));
  });
});
