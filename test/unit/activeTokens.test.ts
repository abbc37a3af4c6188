import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import fc from 'fast-check';
import {
  activeTokenByHash,
  activeTokenCount,
  activeTokensProjection,
  evictExpired,
  introspectedTokenByHash,
  tokenByHash,
  type ActiveToken,
  type ActiveTokensView,
} from '../../projections/activeTokens.js';
import { recorded } from '../helpers/views.js';

const token = (jti: string, exp: number) => ({
  jti,
  tokenHash: `${jti}`.padEnd(43, 'h'),
  format: 'jwt',
  clientId: 'c',
  sub: 'c',
  scope: '',
  aud: ['x'],
  iat: 0,
  exp,
  grantType: 'client_credentials',
  kid: 'k',
  grantId: null,
});
/** Grant ids: canonical UUIDs (kept as bytes) for even numbers, other strings for odd ones. */
const grantId = (g: number) => (g % 2 ? `g-${g}` : `01890a5d-ac96-774b-9cce-${g.toString(16).padStart(12, '0')}`);
const sha = (s: string) => createHash('sha256').update(s).digest('base64url');
/**
 * Hashes in clusters that share their first 32 bits, some of them at the end of the (2,048-entry)
 * table, so probes wrap around and deletions shift entries back across the end.
 */
const PREFIXES = [
  [0xff, 0x07, 0, 0],
  [0xfe, 0x07, 0, 0],
  [0x00, 0x00, 0, 0],
  [0x10, 0x02, 9, 9],
];
const clustered = (n: number) =>
  Buffer.concat([
    Buffer.from(PREFIXES[n % PREFIXES.length]),
    createHash('sha256').update(`token-${n}`).digest().subarray(4),
  ]).toString('base64url');
/** A token shaped like the ones the server issues: uuid jti, SHA-256 hash. */
const real = (i: number, over: Partial<ActiveToken> = {}): ActiveToken => ({
  jti: randomUUID(),
  tokenHash: sha(`token-${i}`),
  format: i % 2 ? 'opaque' : 'jwt',
  clientId: `client-${i % 3}`,
  sub: `user-${i % 5}`,
  scope: 'openid orders:read',
  aud: i % 2 ? ['https://a.example'] : ['https://a.example', 'https://b.example'],
  iat: 1_700_000_000,
  exp: 1_700_000_000 + i,
  grantType: 'authorization_code',
  kid: i % 2 ? null : 'key-1',
  grantId: null,
  ...(i % 2 ? {} : { statusList: { id: 'list-0', idx: i } }),
  ...over,
});
const on = activeTokensProjection.on;
const issue = (v: ActiveTokensView, t: object) => on.AccessTokenIssued(v, recorded('AccessTokenIssued', t));
const revoke = (v: ActiveTokensView, t: { jti: string; tokenHash: string }) =>
  on.TokenRevoked(
    v,
    recorded('TokenRevoked', { jti: t.jti, tokenHash: t.tokenHash, kind: 'access_token', reason: 'r' }),
  );
const revokeGrant = (v: ActiveTokensView, grantId: string) =>
  on.GrantRevoked(v, recorded('GrantRevoked', { grantId, reason: 'r' }));
const roundTrip = (v: ActiveTokensView) => deserialize(serialize(v)) as ActiveTokensView;

describe('active-token view', () => {
  it('holds issued tokens until revoked or expired, and evicts expired ones', () => {
    let view = activeTokensProjection.initialState();
    for (let i = 0; i < 1000; i++) view = issue(view, token(`t${i}`, 1000 + i));
    assert.equal(activeTokenCount(view), 1000);
    assert.ok(activeTokenByHash(view, token('t5', 0).tokenHash, 999));
    assert.equal(
      activeTokenByHash(view, token('t5', 0).tokenHash, 1005),
      undefined,
      'expired is inactive before eviction',
    );
    assert.ok(tokenByHash(view, token('t5', 0).tokenHash), 'still revocable until evicted');
    view = revoke(view, token('t999', 0));
    assert.equal(activeTokenByHash(view, token('t999', 0).tokenHash, 0), undefined);
    assert.equal(evictExpired(view, 1500), 501, 'every token expired at 1500 (exp ≤ now)');
    assert.equal(activeTokenCount(view), 498);
    assert.equal(evictExpired(view, 3000), 498);
    assert.equal(activeTokenCount(view), 0);
    assert.equal(view.strings.ids.size, 0, 'interned strings leave with their last token');
    assert.equal(view.oddHashSlot.size + view.oddHash.size + view.oddJti.size, 0);
  });

  it('gives back every field as issued, canonical or not', () => {
    let view = activeTokensProjection.initialState();
    const tokens = [
      ...Array.from({ length: 10 }, (_, i) =>
        real(i, i === 3 ? { grantId: 'g-1' } : i === 4 ? { grantId: randomUUID() } : {}),
      ),
      real(10, { jti: 'not-a-uuid', tokenHash: 'not a hash' }),
      real(11, { jti: 'ABCDEF01-2345-6789-ABCD-EF0123456789', tokenHash: `${sha('x').slice(0, 42)}B` }),
    ];
    for (const t of tokens) view = issue(view, t);
    for (const t of tokens) assert.deepEqual(activeTokenByHash(view, t.tokenHash, 0), t);
    assert.equal(tokenByHash(view, sha('unknown')), undefined);
    assert.equal(tokenByHash(view, `${sha('x').slice(0, 42)}A`), undefined, 'a different non-canonical hash');
  });

  it("gives introspection exactly the active token's fields, and nothing for an expired, revoked or unknown one", () => {
    let view = activeTokensProjection.initialState();
    const tokens = [
      ...Array.from({ length: 6 }, (_, i) => real(i)),
      real(6, { jti: 'not-a-uuid', tokenHash: 'not a hash' }),
      real(7, { jkt: sha('a DPoP key') }),
    ];
    for (const t of tokens) view = issue(view, t);
    view = revoke(view, tokens[1]);
    for (const [i, t] of tokens.entries()) {
      for (const now of [0, t.exp - 1, t.exp]) {
        const full = activeTokenByHash(view, t.tokenHash, now);
        const seen = introspectedTokenByHash(view, t.tokenHash, now);
        assert.equal(seen === undefined, full === undefined, `token ${i} at ${now}`);
        if (full) {
          const { jti, clientId, sub, scope, aud, iat, exp, jkt } = full;
          assert.deepEqual({ ...seen, aud: [...seen!.aud] }, { jti, clientId, sub, scope, aud, iat, exp, jkt });
          assert.equal(jkt, i === 7 ? sha('a DPoP key') : undefined, `token ${i}'s DPoP binding`);
        }
      }
    }
    assert.equal(introspectedTokenByHash(view, sha('unknown'), 0), undefined);
  });

  it('revokes by hash and jti together, and a revoked grant drops all its tokens', () => {
    let view = activeTokensProjection.initialState();
    const tokens = Array.from({ length: 9 }, (_, i) => real(i, { grantId: `g-${i % 3}` }));
    for (const t of tokens) view = issue(view, t);
    view = revoke(view, { jti: randomUUID(), tokenHash: tokens[0].tokenHash });
    assert.ok(tokenByHash(view, tokens[0].tokenHash), 'a TokenRevoked for another jti leaves it alone');
    view = revoke(view, tokens[3]);
    view = revokeGrant(view, 'g-0');
    for (const [i, t] of tokens.entries())
      assert.equal(tokenByHash(view, t.tokenHash) !== undefined, i % 3 !== 0, `token ${i}`);
    view = revokeGrant(view, 'g-1');
    view = revokeGrant(view, 'g-unknown');
    assert.equal(activeTokenCount(view), 3);
    assert.equal(view.oddGrant.size, 1, 'one grant left');
    assert.equal(view.grantCount, 0);
  });

  it('tells apart hashes that share their first 32 bits', () => {
    let view = activeTokensProjection.initialState();
    const prefix = sha('p').slice(0, 6); // 36 bits: the table key of both
    const a = real(0, { tokenHash: `${prefix}${sha('a').slice(6, 42)}A` });
    const b = real(1, { tokenHash: `${prefix}${sha('b').slice(6, 42)}A` });
    view = issue(issue(view, a), b);
    assert.equal(tokenByHash(view, a.tokenHash)!.jti, a.jti);
    assert.equal(tokenByHash(view, b.tokenHash)!.jti, b.jti);
    view = revoke(view, a);
    assert.equal(tokenByHash(view, a.tokenHash), undefined);
    assert.equal(tokenByHash(view, b.tokenHash)!.jti, b.jti);
  });

  it('finds every other token after any two deletions in a cluster that wraps around the table', () => {
    // homes 2047, 2046, 0
    const hashes = Array.from({ length: 12 }, (_, n) => clustered(n % 3 === 2 ? 4 * n + 2 : 4 * n + (n % 2)));
    for (const [a, b] of hashes.flatMap((_, a) => hashes.map((_, b) => [a, b] as const))) {
      let view = activeTokensProjection.initialState();
      const tokens = hashes.map((h, i) => real(i, { tokenHash: h }));
      for (const t of tokens) view = issue(view, t);
      view = revoke(revoke(view, tokens[a]), tokens[b]);
      for (const [i, t] of tokens.entries())
        assert.equal(tokenByHash(view, t.tokenHash)?.jti, i === a || i === b ? undefined : t.jti, `${a}, ${b}: ${i}`);
    }
  });

  it('agrees with a plain Map under any mix of issue, revoke, grant revocation, eviction and checkpoint', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('issue' as const),
        n: fc.nat(400),
        exp: fc.nat(100),
        grant: fc.option(fc.nat(200)),
      }),
      fc.record({ kind: fc.constant('revoke' as const), n: fc.nat(400) }),
      fc.record({ kind: fc.constant('grant' as const), g: fc.nat(200) }),
      fc.record({ kind: fc.constant('evict' as const), now: fc.nat(100) }),
      fc.record({ kind: fc.constant('checkpoint' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
        let view = activeTokensProjection.initialState();
        const model = new Map<string, ActiveToken>();
        for (const o of ops) {
          if (o.kind === 'issue') {
            const t = real(o.n, {
              tokenHash: clustered(o.n),
              exp: o.exp,
              grantId: o.grant === null ? null : grantId(o.grant),
              // Some tokens DPoP-bound: a freed slot must not keep its last token's key.
              ...(o.n % 5 === 0 ? { jkt: sha(`key-${o.n}`) } : {}),
            });
            view = issue(view, t);
            if (!model.has(t.tokenHash)) model.set(t.tokenHash, t);
          } else if (o.kind === 'revoke') {
            const t = model.get(clustered(o.n));
            if (t) {
              view = revoke(view, t);
              model.delete(t.tokenHash);
            }
          } else if (o.kind === 'grant') {
            view = revokeGrant(view, grantId(o.g));
            for (const [h, t] of model) if (t.grantId === grantId(o.g)) model.delete(h);
          } else if (o.kind === 'evict') {
            const expected = [...model.values()].filter((t) => t.exp <= o.now).length;
            assert.equal(evictExpired(view, o.now), expected);
            for (const [h, t] of model) if (t.exp <= o.now) model.delete(h);
          } else {
            view = roundTrip(view);
          }
        }
        assert.equal(activeTokenCount(view), model.size);
        for (let n = 0; n <= 400; n++) assert.deepEqual(tokenByHash(view, clustered(n)), model.get(clustered(n)));
      }),
      { numRuns: 60 },
    );
  });

  it('grows past its first capacity and survives a checkpoint round trip', () => {
    let view = activeTokensProjection.initialState();
    const tokens = Array.from({ length: 5000 }, (_, i) =>
      real(i, { grantId: i % 7 ? null : grantId(i % 500), ...(i % 3 ? {} : { jkt: sha(`key-${i}`) }) }),
    );
    for (const t of tokens) view = issue(view, t);
    for (const t of tokens.slice(0, 1000)) view = revoke(view, t);
    const restored = roundTrip(view);
    assert.equal(activeTokenCount(restored), 4000);
    for (const t of tokens.slice(1000)) assert.deepEqual(tokenByHash(restored, t.tokenHash), t);
    // The restored view keeps working: new tokens reuse the freed slots.
    const more = Array.from({ length: 2000 }, (_, i) => real(10_000 + i));
    let next = restored;
    for (const t of more) next = issue(next, t);
    assert.equal(activeTokenCount(next), 6000);
    for (const t of more) assert.deepEqual(tokenByHash(next, t.tokenHash), t);
    for (const g of [7, 14]) {
      const own = tokens.slice(1000).filter((t) => t.grantId === grantId(g));
      assert.ok(own.length > 0);
      next = revokeGrant(next, grantId(g));
      for (const t of own) assert.equal(tokenByHash(next, t.tokenHash), undefined);
    }
  });
});
