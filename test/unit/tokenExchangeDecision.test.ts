import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tokenExchangePolicy } from '../../src/domain/clients/tokenExchangePolicy.js';
import { decideExchange, ExchangeError, type PresentedToken } from '../../src/domain/exchange/decide.js';

const subject: PresentedToken = {
  jti: 's',
  tokenHash: 'h'.repeat(43),
  tokenType: 'access_token',
  clientId: 'app',
  sub: 'alice',
  scope: 'read write',
  exp: 1000,
  grantId: 'g',
  act: { sub: 'b', act: { sub: 'a' } },
  depth: 2,
};
const actor: PresentedToken = { ...subject, jti: 'a', sub: 'c', act: undefined, depth: 0 };
const policy = tokenExchangePolicy({
  grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'],
  token_endpoint_auth_method: 'client_secret_basic',
  scope: 'read',
  token_exchange_audiences: ['https://api.example/orders'],
});
const decide = (more: Partial<Parameters<typeof decideExchange>[0]> = {}) =>
  decideExchange({
    subject,
    actor,
    targets: [],
    scope: undefined,
    requestedTokenType: 'access_token',
    format: 'jwt',
    policy,
    ...more,
  });
const refusal = (error: string) => (e: unknown) => e instanceof ExchangeError && e.error === error;

describe('the exchange decision (RFC 8693 under a client policy)', () => {
  it('nests the subject’s act under the new actor, keeps the subject, narrows the scope, ends with the subject', () => {
    const d = decide();
    assert.deepEqual(d.act, { sub: 'c', act: { sub: 'b', act: { sub: 'a' } } });
    assert.equal(d.sub, 'alice');
    assert.equal(d.scope, 'read');
    assert.deepEqual(d.aud, ['https://api.example/orders']);
    assert.equal(d.notAfter, 1000);
    assert.deepEqual(d.derivedFrom, {
      jti: 's',
      tokenHash: 'h'.repeat(43),
      tokenType: 'access_token',
      clientId: 'app',
      grantId: 'g',
      depth: 3,
    });
  });

  it('defaults: delegation only, three exchanges deep', () => {
    assert.equal(policy.impersonation, false);
    assert.equal(policy.maxDepth, 3);
    assert.throws(() => decide({ actor: null }), refusal('unauthorized_client'));
    assert.throws(() => decide({ subject: { ...subject, depth: 3 } }), refusal('invalid_grant'));
  });

  it('impersonation keeps the actors a subject token already names', () => {
    const d = decide({ actor: null, policy: { ...policy, impersonation: true } });
    assert.deepEqual(d.act, subject.act);
    assert.equal(
      decide({ actor: null, policy: { ...policy, impersonation: true }, subject: { ...subject, act: undefined } }).act,
      undefined,
    );
  });

  it('refuses what the policy or the subject token does not allow', () => {
    assert.throws(() => decide({ scope: 'write' }), refusal('invalid_scope'));
    assert.throws(() => decide({ scope: 'delete' }), refusal('invalid_scope'));
    assert.throws(() => decide({ targets: ['https://other.example'] }), refusal('invalid_target'));
    assert.throws(() => decide({ requestedTokenType: 'jwt', format: 'opaque' }), refusal('invalid_request'));
  });
});
