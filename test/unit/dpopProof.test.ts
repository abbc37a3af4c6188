import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exportJWK } from 'jose';
import {
  DPOP_IAT_WINDOW_S,
  DPoPProofError,
  dpopHeader,
  normalisedHtu,
  parseProof,
  verifyProof,
  type ProofExpectation,
} from '../../src/crypto/dpopProof.js';
import { DPoPNonces, DPOP_NONCE_WINDOW_S } from '../../src/crypto/dpopNonce.js';
import { foreignAlgProof, makeProof, proofKey, type ProofOptions } from '../helpers/dpop.js';

const HTU = 'https://as.example/token';
const NOW = 1_900_000_000;

async function refusal(proof: string, expect: Partial<ProofExpectation> = {}): Promise<DPoPProofError> {
  try {
    await verifyProof(parseProof(proof), { htm: 'POST', htu: HTU, nowSeconds: NOW, ...expect });
  } catch (err) {
    assert.ok(err instanceof DPoPProofError, String(err));
    return err;
  }
  assert.fail('the proof was accepted');
}

describe('DPoP proof verifier (RFC 9449 §4.3)', async () => {
  const key = await proofKey();
  const proof = (o: Partial<ProofOptions> = {}) => makeProof(key, { htu: HTU, iat: NOW, ...o });

  it('accepts a good proof and gives its key thumbprint, jti and iat', async () => {
    const verified = await verifyProof(parseProof(await proof({ jti: 'one' })), {
      htm: 'POST',
      htu: HTU,
      nowSeconds: NOW,
    });
    assert.deepEqual(verified, { jkt: key.jkt, jti: 'one', iat: NOW });
  });

  it('accepts every advertised kind of key: RSA-PSS, RSA, EdDSA', async () => {
    for (const alg of ['PS256', 'RS256', 'EdDSA']) {
      const k = await proofKey(alg);
      const verified = await verifyProof(parseProof(await makeProof(k, { htu: HTU, iat: NOW })), {
        htm: 'POST',
        htu: HTU,
        nowSeconds: NOW,
      });
      assert.equal(verified.jkt, k.jkt, alg);
    }
  });

  it('takes iat within the window on either side, and not a second beyond', async () => {
    const at = async (iat: number) => parseProof(await proof({ iat }));
    const expect = { htm: 'POST', htu: HTU, nowSeconds: NOW };
    await verifyProof(await at(NOW - DPOP_IAT_WINDOW_S), expect);
    await verifyProof(await at(NOW + DPOP_IAT_WINDOW_S), expect);
    assert.match((await refusal(await proof({ iat: NOW - DPOP_IAT_WINDOW_S - 1 }))).message, /iat is too old/);
    assert.match((await refusal(await proof({ iat: NOW + DPOP_IAT_WINDOW_S + 1 }))).message, /iat is in the future/);
  });

  it('refuses each failed check with invalid_dpop_proof', async () => {
    const other = await proofKey();
    const privateJwk = await exportJWK(key.privateKey);
    const [h, p] = (await proof()).split('.');
    const cases: Array<[string, Promise<string> | string, Partial<ProofExpectation>?]> = [
      ['htm', proof({ htm: 'GET' })],
      ['htu', proof({ htu: 'https://as.example/other' })],
      ['typ missing', proof({ typ: null })],
      ['typ wrong', proof({ typ: 'jwt' })],
      ['jwk missing', proof({ jwk: null })],
      ['jwk private', proof({ jwk: privateJwk })],
      ['alg none', foreignAlgProof('none', key.jwk, HTU)],
      ['alg HS256', foreignAlgProof('HS256', key.jwk, HTU)],
      ['signature by another key', proof({ jwk: other.jwk })],
      [
        'tampered payload',
        `${h}.${Buffer.from('{"jti":"x","htm":"POST","htu":"' + HTU + '","iat":' + NOW + '}').toString('base64url')}.${(await proof()).split('.')[2]}`,
      ],
      ['ath missing', proof(), { accessToken: 'tlat_token' }],
      ['ath wrong', proof({ accessToken: 'tlat_other' }), { accessToken: 'tlat_token' }],
      ['not a JWS', 'abc.def'],
      ['too long', `${h}.${'A'.repeat(9000)}.${p}`],
      ['no jti', proof({ claims: { jti: undefined } })],
      ['iat not a number', proof({ claims: { iat: 'now' } })],
    ];
    for (const [what, built, expect] of cases) {
      const err = await refusal(await built, expect);
      assert.equal(err.code, 'invalid_dpop_proof', what);
    }
  });

  it('accepts ath of the access token presented with it', async () => {
    const verified = await verifyProof(parseProof(await proof({ accessToken: 'tlat_token' })), {
      htm: 'POST',
      htu: HTU,
      nowSeconds: NOW,
      accessToken: 'tlat_token',
    });
    assert.equal(verified.jkt, key.jkt);
  });

  it('asks for a nonce when nonces are required: missing, foreign or stale is use_dpop_nonce', async () => {
    const nonces = new DPoPNonces('a-key-encryption-secret');
    const nonce = (n: string, now: number) => nonces.accepts(n, now);
    const current = nonces.issue(NOW);
    await verifyProof(parseProof(await proof({ nonce: current })), { htm: 'POST', htu: HTU, nowSeconds: NOW, nonce });
    assert.equal((await refusal(await proof(), { nonce })).code, 'use_dpop_nonce');
    assert.equal((await refusal(await proof({ nonce: 'made-up' }), { nonce })).code, 'use_dpop_nonce');
    const stale = nonces.issue(NOW - 2 * DPOP_NONCE_WINDOW_S);
    assert.equal((await refusal(await proof({ nonce: stale }), { nonce })).code, 'use_dpop_nonce');
  });

  it('nonces: the window they were issued in and the next; another secret never', () => {
    const a = new DPoPNonces('secret-a');
    const b = new DPoPNonces('secret-a');
    const c = new DPoPNonces('secret-b');
    const n = a.issue(NOW);
    assert.equal(b.accepts(n, NOW), true, 'another instance with the same secret accepts it');
    assert.equal(b.accepts(n, NOW + DPOP_NONCE_WINDOW_S), true);
    assert.equal(b.accepts(n, NOW + 2 * DPOP_NONCE_WINDOW_S), false);
    assert.equal(c.accepts(n, NOW), false);
    assert.equal(a.accepts('ü'.repeat(24), NOW), false);
  });

  it('exactly one DPoP header', () => {
    assert.equal(dpopHeader({}, []), undefined);
    assert.equal(dpopHeader({ dpop: 'a.b.c' }, ['DPoP', 'a.b.c']), 'a.b.c');
    assert.throws(() => dpopHeader({ dpop: 'a.b.c, d.e.f' }, ['DPoP', 'a.b.c', 'dpop', 'd.e.f']), DPoPProofError);
    assert.throws(() => dpopHeader({ dpop: '' }, ['DPoP', '']), DPoPProofError);
  });

  it('htu compares after RFC 3986 normalisation, without query or fragment', () => {
    assert.equal(normalisedHtu('HTTPS://AS.Example:443/token?x=1#f'), HTU);
    assert.equal(normalisedHtu('http://127.0.0.1:80/token'), 'http://127.0.0.1/token');
    assert.equal(normalisedHtu('ftp://as.example/token'), undefined);
    assert.equal(normalisedHtu('not a url'), undefined);
  });
});
