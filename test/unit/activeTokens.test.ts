import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { activeTokenByHash, activeTokensProjection, evictExpired } from '../../projections/activeTokens.js';
import type { RecordedEvent } from '../../src/ledger/eventStore.js';

let position = 0n;
const recorded = (type: string, data: object): RecordedEvent =>
  ({ id: `e${++position}`, type, stream: 's', revision: 0, position, recordedAt: new Date(), data, metadata: {} }) as unknown as RecordedEvent;
const token = (jti: string, exp: number) => ({
  jti, tokenHash: `${jti}`.padEnd(43, 'h'), format: 'jwt', clientId: 'c', sub: 'c', scope: '', aud: ['x'], iat: 0, exp, grantType: 'client_credentials', kid: 'k', grantId: null,
});

describe('active-token view', () => {
  it('holds issued tokens until revoked or expired, and evicts expired ones', () => {
    let view = activeTokensProjection.initialState();
    const on = activeTokensProjection.on;
    for (let i = 0; i < 1000; i++) view = on.AccessTokenIssued!(view, recorded('AccessTokenIssued', token(`t${i}`, 1000 + i)));
    assert.equal(view.byHash.size, 1000);
    assert.ok(activeTokenByHash(view, token('t5', 0).tokenHash, 999));
    assert.equal(activeTokenByHash(view, token('t5', 0).tokenHash, 1005), undefined, 'expired is inactive before eviction');
    view = on.TokenRevoked!(view, recorded('TokenRevoked', { jti: 't999', tokenHash: token('t999', 0).tokenHash, kind: 'access_token', reason: 'r' }));
    assert.equal(activeTokenByHash(view, token('t999', 0).tokenHash, 0), undefined);
    assert.equal(evictExpired(view, 1500), 500, 'every token that expired before 1500');
    assert.equal(view.byHash.size, 499);
    assert.equal(view.byJti.size, 499);
    assert.equal(evictExpired(view, 3000), 499);
    assert.equal(view.byHash.size, 0);
    assert.equal(view.expiring.size, 0);
  });
});
