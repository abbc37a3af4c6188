import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideKeyring, KeyringError, type NewKeyMaterial } from '../../src/domain/keyring/decide.js';
import type { KeyringEvent } from '../../src/domain/keyring/events.js';
import { evolveKeyring } from '../../src/domain/keyring/evolve.js';
import { initialKeyring, publishedKeysAt, signingKeyAt } from '../../src/domain/keyring/state.js';
import { deciderSpec } from '../helpers/deciderSpec.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3_600_000;
const material = (kid: string, alg: 'RS256' | 'ES256' = 'ES256'): NewKeyMaterial => ({
  kid,
  alg,
  publicJwk: { kty: alg === 'ES256' ? 'EC' : 'RSA' },
  encryptedPrivateKey: {
    enc: 'A256GCM',
    kdf: 'scrypt',
    salt: 's'.repeat(22),
    iv: 'i'.repeat(16),
    tag: 't'.repeat(22),
    ciphertext: 'c',
  },
});

const { given } = deciderSpec({ initialState: initialKeyring, evolve: evolveKeyring, decide: decideKeyring });

const generated = (kid: string, at: number, alg: 'RS256' | 'ES256' = 'ES256'): KeyringEvent => ({
  type: 'SigningKeyGenerated',
  data: { ...material(kid, alg), activatesAt: new Date(at).toISOString() },
});

describe('keyring decider', () => {
  it('generates a key for every algorithm that has none', () => {
    given([])
      .when({ type: 'EnsureSigningKeys', now: T0, generated: [material('a', 'RS256'), material('b')] })
      .then([generated('a', T0, 'RS256'), generated('b', T0)]);
  });

  it('generates nothing when another instance already did', () => {
    given([generated('a', T0, 'RS256'), generated('b', T0)])
      .when({ type: 'EnsureSigningKeys', now: T0 + 1, generated: [material('c', 'RS256'), material('d')] })
      .then([]);
  });

  it("generates nothing when another instance's keys activate just after this command's now (a concurrent first start)", () => {
    given([generated('a', T0 + 40, 'RS256'), generated('b', T0 + 40)])
      .when({ type: 'EnsureSigningKeys', now: T0, generated: [material('c', 'RS256'), material('d')] })
      .then([]);
  });

  it('generates again once every key of an algorithm is retired', () => {
    const retired: KeyringEvent = {
      type: 'SigningKeyRetired',
      data: {
        kid: 'b',
        retiredAt: new Date(T0 + HOUR).toISOString(),
        publishUntil: new Date(T0 + 2 * HOUR).toISOString(),
      },
    };
    given([generated('a', T0, 'RS256'), generated('b', T0), retired])
      .when({ type: 'EnsureSigningKeys', now: T0 + HOUR, generated: [material('c', 'RS256'), material('d')] })
      .then([generated('d', T0 + HOUR)]);
  });

  it('rotation publishes the new key, and retires the old one when the new one activates', () => {
    given([generated('a', T0)])
      .when({
        type: 'RotateSigningKey',
        now: T0 + HOUR,
        key: material('b'),
        activatesAt: T0 + 2 * HOUR,
        maxTokenLifetimeMs: 24 * HOUR,
      })
      .then([
        generated('b', T0 + 2 * HOUR),
        {
          type: 'SigningKeyRetired',
          data: {
            kid: 'a',
            retiredAt: new Date(T0 + 2 * HOUR).toISOString(),
            publishUntil: new Date(T0 + 26 * HOUR).toISOString(),
          },
        },
      ]);
  });

  it('refuses a rotation that activates in the past or reuses a kid', () => {
    const state = given([generated('a', T0)]).state();
    assert.throws(
      () =>
        decideKeyring(
          { type: 'RotateSigningKey', now: T0, key: material('b'), activatesAt: T0 - 1, maxTokenLifetimeMs: HOUR },
          state,
        ),
      KeyringError,
    );
    assert.throws(
      () =>
        decideKeyring(
          { type: 'RotateSigningKey', now: T0, key: material('a'), activatesAt: T0, maxTokenLifetimeMs: HOUR },
          state,
        ),
      KeyringError,
    );
  });

  it('signs with the newest active key and publishes retired keys until their tokens expire', () => {
    const state = given([
      generated('a', T0),
      generated('b', T0 + 2 * HOUR),
      {
        type: 'SigningKeyRetired',
        data: {
          kid: 'a',
          retiredAt: new Date(T0 + 2 * HOUR).toISOString(),
          publishUntil: new Date(T0 + 3 * HOUR).toISOString(),
        },
      },
    ]).state();
    assert.equal(signingKeyAt(state, 'ES256', T0 + HOUR)?.kid, 'a');
    assert.deepEqual(
      publishedKeysAt(state, T0 + HOUR).map((k) => k.kid),
      ['a', 'b'],
      'b is published before it signs',
    );
    assert.equal(signingKeyAt(state, 'ES256', T0 + 2 * HOUR)?.kid, 'b');
    assert.deepEqual(
      publishedKeysAt(state, T0 + 2.5 * HOUR).map((k) => k.kid),
      ['a', 'b'],
    );
    assert.deepEqual(
      publishedKeysAt(state, T0 + 3 * HOUR).map((k) => k.kid),
      ['b'],
    );
    assert.equal(signingKeyAt(state, 'RS256', T0 + HOUR), undefined);
  });
});
