import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sealDecider, SealError, type NewSealKey } from '../../src/domain/seals/decider.js';
import type { SealEvent } from '../../src/domain/seals/events.js';
import { deciderSpec } from '../helpers/deciderSpec.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const key = (kid: string): NewSealKey => ({
  kid,
  alg: 'ES256',
  publicJwk: { kty: 'EC' },
  encryptedPrivateKey: {
    enc: 'A256GCM',
    kdf: 'scrypt',
    salt: 's'.repeat(22),
    iv: 'i'.repeat(16),
    tag: 't'.repeat(22),
    ciphertext: 'c',
  },
});
const generated = (kid: string, at = T0): SealEvent => ({
  type: 'SealKeyGenerated',
  data: { ...key(kid), activatesAt: new Date(at).toISOString() },
});
const ROOT = 'r'.repeat(43);
const seal = (treeSize: number, kid = 'k1') => ({
  type: 'Seal' as const,
  treeSize,
  rootHash: ROOT,
  sealedAt: T0,
  kid,
  jws: 'h.p.s',
});
const sealed = (treeSize: number, kid = 'k1'): SealEvent => ({
  type: 'LedgerSealed',
  data: { treeSize, rootHash: ROOT, sealedAt: new Date(T0).toISOString(), kid, jws: 'h.p.s' },
});

const { given } = deciderSpec(sealDecider);

describe('seal decider', () => {
  it('generates the seal key once: a second instance adopts the first one', () => {
    given([])
      .when({ type: 'EnsureSealKey', now: T0, key: key('k1') })
      .then([generated('k1')]);
    given([generated('k1')])
      .when({ type: 'EnsureSealKey', now: T0, key: key('k2') })
      .then([]);
  });

  it('seals a larger tree than the last seal, with the current key', () => {
    given([generated('k1')])
      .when(seal(10))
      .then([sealed(10)]);
    given([generated('k1'), sealed(10)])
      .when(seal(12))
      .then([sealed(12)]);
  });

  it('writes nothing when another process sealed that size or a later one first', () => {
    given([generated('k1'), sealed(10)])
      .when(seal(10))
      .then([]);
    given([generated('k1'), sealed(12)])
      .when(seal(11))
      .then([]);
  });

  it('refuses a seal without a key, or signed with a key that no longer signs', () => {
    given([])
      .when(seal(1))
      .thenThrows(/the ledger has no seal key yet/);
    given([generated('k1'), generated('k2', T0 + 1)])
      .when(seal(3, 'k1'))
      .thenThrows((err: unknown) => err instanceof SealError && /k1 no longer signs: k2 does/.test(err.message));
  });

  it('rotates to a new key, keeping the old ones, and refuses a kid it already has', () => {
    const rotated = given([generated('k1')]).when({ type: 'RotateSealKey', now: T0 + 1, key: key('k2') });
    rotated.then([generated('k2', T0 + 1)]);
    given([generated('k1'), generated('k2', T0 + 1)])
      .when({ type: 'RotateSealKey', now: T0, key: key('k2') })
      .thenThrows(/seal key k2 already exists/);
    const state = [generated('k1'), generated('k2', T0 + 1)].reduce(sealDecider.evolve, sealDecider.initialState());
    assert.deepEqual(
      state.keys.map((k) => k.kid),
      ['k1', 'k2'],
    );
  });
});
