import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeLag, percentiles, type LagResult } from '../../bench/revocationLag.js';

describe('revocation lag lines', () => {
  const r: LagResult = {
    lags: [1, 2],
    lag: percentiles([1, 2]),
    strictLatencies: [3],
    strict: percentiles([3]),
    strictStale: 0,
    strictFailed: 0,
    crossIntrospected: 2,
  };

  it('name the instance that was asked (A→C is not labelled B)', () => {
    const lines = describeLag(r, 'C');
    assert.match(lines[0], /active:false on C \(eventual\)/);
    assert.match(lines[1], /strict introspection on C /);
    assert.ok(lines.every((l) => !l.includes(' B')));
  });

  it('say B when there are only two instances', () => {
    assert.match(describeLag(r)[0], /on B \(eventual\)/);
  });
});
