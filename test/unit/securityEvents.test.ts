import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deciderSpec } from '../helpers/deciderSpec.js';
import { securityDecider } from '../../src/domain/security/decide.js';
import { sessionDecider } from '../../src/domain/sessions/decide.js';
import { consentDecider } from '../../src/domain/consent/decide.js';
import { requestContextOf, truncateAddress } from '../../src/security/requestContext.js';
import { recordFailure } from '../../src/application/securityEvents.js';

const context = { address: '192.0.2.0/24', userAgent: 'ua' };
const sidHash = 'h'.repeat(43);

describe('security decider', () => {
  const { given } = deciderSpec(securityDecider);
  it('records a failed login of a known user by sub, of an unknown one by the keyed hash', () => {
    given([])
      .when({ type: 'RecordLoginFailure', reason: 'invalid_password', sub: 'u1', clientId: 'c', context })
      .then([{ type: 'LoginFailed', data: { reason: 'invalid_password', sub: 'u1', clientId: 'c', context } }]);
    given([])
      .when({ type: 'RecordLoginFailure', reason: 'unknown_user', account: 'k', clientId: 'c', context })
      .then([{ type: 'LoginFailed', data: { reason: 'unknown_user', account: 'k', clientId: 'c', context } }]);
  });
  it('refuses a failure naming both or neither', () => {
    given([])
      .when({ type: 'RecordLoginFailure', reason: 'unknown_user', clientId: 'c', context })
      .thenThrows(/either a sub or an account/);
    given([])
      .when({ type: 'RecordLoginFailure', reason: 'unknown_user', sub: 's', account: 'k', clientId: 'c', context })
      .thenThrows(/either a sub or an account/);
  });
  it('records a failed client authentication as it happened, whatever the stream held', () => {
    const data = { reason: 'unknown_client' as const, endpoint: '/token', context };
    given([{ type: 'ClientAuthenticationFailed', data }])
      .when({ type: 'RecordClientAuthenticationFailure', ...data })
      .then([{ type: 'ClientAuthenticationFailed', data }]);
  });
});

describe('session decider: login and logout with their request', () => {
  const { given } = deciderSpec(sessionDecider);
  const start = { type: 'StartSession' as const, sidHash, sub: 'u1', authTime: 1, amr: ['pwd'], exp: 2 };
  const started = { type: 'SessionStarted' as const, data: { sidHash, sub: 'u1', authTime: 1, amr: ['pwd'], exp: 2 } };
  it('a login page session starts with LoginSucceeded in the same decision', () => {
    given([])
      .when({ ...start, login: { clientId: 'c', context } })
      .then([started, { type: 'LoginSucceeded', data: { sub: 'u1', clientId: 'c', sidHash, context } }]);
  });
  it('a session started elsewhere (no request) records no security event', () => {
    given([]).when(start).then([started]);
  });
  it('a logout at a page names the sub the session was for', () => {
    given([started])
      .when({ type: 'EndSession', sidHash, reason: 'RP-initiated logout', logout: { context } })
      .then([
        { type: 'SessionEnded', data: { sidHash, reason: 'RP-initiated logout' } },
        { type: 'LoggedOut', data: { sidHash, sub: 'u1', reason: 'RP-initiated logout', context } },
      ]);
  });
  it('a second logout of an ended session records nothing', () => {
    given([started, { type: 'SessionEnded', data: { sidHash, reason: 'x' } }])
      .when({ type: 'EndSession', sidHash, reason: 'again', logout: { context } })
      .then([]);
  });
});

describe('consent decider: given and denied', () => {
  const { given } = deciderSpec(consentDecider);
  it('a refusal consents to nothing', () => {
    const denied = given([]).when({ type: 'DenyConsent', sub: 'u', clientId: 'c', scope: 'openid', context });
    denied.then([{ type: 'ConsentDenied', data: { sub: 'u', clientId: 'c', scope: 'openid', context } }]);
    const after = given(denied.events());
    assert.equal(after.state().size, 0);
  });
  it('consent given with its request records ConsentGiven beside the grant, which alone counts', () => {
    const decided = given([])
      .when({ type: 'RecordConsent', sub: 'u', clientId: 'c', scope: 'openid', resources: [], context })
      .events();
    assert.deepEqual(
      decided.map((e) => e.type),
      ['AuthorizationGranted', 'ConsentGiven'],
    );
    assert.deepEqual([...given(decided).state().get('')!], ['openid']);
  });
});

describe('request context', () => {
  it('truncates IPv4 to /24 and IPv6 to /48, mapped IPv4 as IPv4', () => {
    assert.equal(truncateAddress('192.0.2.77'), '192.0.2.0/24');
    assert.equal(truncateAddress('::ffff:192.0.2.77'), '192.0.2.0/24');
    assert.equal(truncateAddress('2001:db8:1:2:3:4:5:6'), '2001:db8:1::/48');
    assert.equal(truncateAddress('2001:DB8::1%eth0'), '2001:db8:0::/48');
    assert.equal(truncateAddress('not an address'), 'unknown');
  });
  it('keyed hash: stable for one secret, unrelated under another, never the address', () => {
    const a = requestContextOf('hmac', 'secret-one-0123456789abcdef')('192.0.2.1', undefined);
    const b = requestContextOf('hmac', 'secret-one-0123456789abcdef')('192.0.2.1', undefined);
    const c = requestContextOf('hmac', 'secret-two-0123456789abcdef')('192.0.2.1', undefined);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.match(a.address!, /^hmac:[A-Za-z0-9_-]{43}$/);
  });
  it('none keeps no address; the user agent is cut to 256 characters without control characters', () => {
    const ctx = requestContextOf('none', 's')('192.0.2.1', `a\r\nb${'x'.repeat(400)}`);
    assert.deepEqual(Object.keys(ctx), ['userAgent']);
    assert.equal(ctx.userAgent!.length, 256);
    assert.ok(ctx.userAgent!.startsWith('ab'));
  });
});

describe('recording a failure', () => {
  it('a ledger that refuses the append costs the record, not the answer: logged, never thrown', async () => {
    const warned: unknown[] = [];
    const ports = {
      events: {
        ledger: {
          store: { readStream: () => Promise.reject(new Error('not read')) },
          append: () => Promise.reject(new Error('disk full')),
        },
        views: { waitFor: () => Promise.resolve() },
      },
    } as unknown as Parameters<typeof recordFailure>[0];
    const command = {
      type: 'RecordClientAuthenticationFailure' as const,
      reason: 'unknown_client' as const,
      endpoint: '/token',
      context,
    };
    const ok = await recordFailure(
      ports,
      'throttle-x',
      command,
      { actor: 'anonymous', correlationId: 'c' },
      {
        warn: (obj: object) => warned.push(obj),
      },
    );
    assert.equal(ok, false);
    assert.deepEqual(warned, [{ err: 'disk full', type: 'RecordClientAuthenticationFailure' }]);
  });
});
