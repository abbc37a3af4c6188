import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deviceDecider, DeviceRefusal } from '../../src/domain/devices/decide.js';
import type { DeviceEvent } from '../../src/domain/devices/events.js';
import {
  displayUserCode,
  generateUserCode,
  normalizeUserCode,
  USER_CODE_SPACE,
} from '../../src/domain/devices/userCode.js';
import { PollPacer } from '../../src/oauth/devicePolling.js';
import { UserCodeThrottle } from '../../src/security/userCodeThrottle.js';
import { deciderSpec } from '../helpers/deciderSpec.js';

const requested: DeviceEvent = {
  type: 'DeviceAuthorizationRequested',
  data: {
    deviceId: 'd1',
    deviceCodeHash: 'd'.repeat(43),
    userCodeHash: 'u'.repeat(43),
    clientId: 'tv',
    scope: 'openid',
    resource: [],
    interval: 5,
    iat: 100,
    exp: 700,
  },
};
const approve = { type: 'ApproveDevice' as const, sub: 'alice', grantId: 'g1', scope: 'openid', now: 200 };
const deny = { type: 'DenyDevice' as const, sub: 'alice', now: 200 };
const approved: DeviceEvent = {
  type: 'DeviceAuthorizationApproved',
  data: { deviceId: 'd1', sub: 'alice', grantId: 'g1', scope: 'openid' },
};
const refusedFor = (code: string) => (e: unknown) => e instanceof DeviceRefusal && e.code === code;

describe('device decider (RFC 8628)', () => {
  it('records the request, then one answer: approved by whom, into which grant, or denied', () => {
    deciderSpec(deviceDecider)
      .given([])
      .when({ type: 'RequestDeviceAuthorization', request: requested.data })
      .then([requested]);
    deciderSpec(deviceDecider).given([requested]).when(approve).then([approved]);
    deciderSpec(deviceDecider)
      .given([requested])
      .when(deny)
      .then([{ type: 'DeviceAuthorizationDenied', data: { deviceId: 'd1', sub: 'alice' } }]);
  });
  it('records an expiry once nobody answered in time, and only then', () => {
    const expire = (now: number) => ({ type: 'ExpireDevice' as const, now });
    const expired: DeviceEvent = { type: 'DeviceAuthorizationExpired', data: { deviceId: 'd1' } };
    deciderSpec(deviceDecider).given([requested]).when(expire(700)).then([expired]);
    deciderSpec(deviceDecider).given([requested]).when(expire(699)).thenThrows(refusedFor('not_expired'));
    deciderSpec(deviceDecider)
      .given([requested, approved])
      .when(expire(800))
      .thenThrows(refusedFor('already_answered'));
    deciderSpec(deviceDecider).given([requested, expired]).when(approve).thenThrows(refusedFor('already_answered'));
  });
  it('refuses a second answer, an answer after expiry, and an unknown device (invalid_grant)', () => {
    deciderSpec(deviceDecider).given([requested, approved]).when(deny).thenThrows(refusedFor('already_answered'));
    deciderSpec(deviceDecider)
      .given([requested])
      .when({ ...approve, now: 700 })
      .thenThrows(refusedFor('expired'));
    deciderSpec(deviceDecider).given([]).when(approve).thenThrows(refusedFor('unknown_device'));
  });
});

describe('user codes (RFC 8628 §6.1)', () => {
  it('are eight consonants from a 20-letter alphabet, shown as XXXX-XXXX', () => {
    assert.equal(USER_CODE_SPACE, 20 ** 8);
    for (let i = 0; i < 200; i++) {
      const code = generateUserCode();
      assert.match(code, /^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
      assert.equal(normalizeUserCode(displayUserCode(code)), code);
    }
  });
  it('read what a person types: any case, dashes and spaces; refuse anything else, long input at once', () => {
    assert.equal(normalizeUserCode('wdjb-mjht'), 'WDJBMJHT');
    assert.equal(normalizeUserCode(' WDJB MJHT '), 'WDJBMJHT');
    assert.equal(normalizeUserCode('WDJB-MJHA'), undefined, 'a vowel is never in a code');
    assert.equal(normalizeUserCode('WDJB-MJH'), undefined);
    assert.equal(normalizeUserCode('W'.repeat(10_000)), undefined);
  });
});

describe('poll pacing (RFC 8628 §3.5)', () => {
  it('answers slow_down to a poll sooner than the interval, and adds 5 s to it from then on', () => {
    const pacer = new PollPacer();
    const t = 1_000_000;
    assert.equal(pacer.poll('h', 5, 10_000, t), 'on_time');
    assert.equal(pacer.poll('h', 5, 10_000, t + 2000), 'slow_down');
    // The interval is 10 s now: 6 s later is still too soon.
    assert.equal(pacer.poll('h', 5, 10_000, t + 8000), 'slow_down');
    assert.equal(pacer.poll('h', 5, 10_000, t + 8000 + 15_000), 'on_time');
    assert.equal(pacer.poll('h', 5, 10_000, t + 8000 + 15_000 + 14_500), 'on_time', 'a second early is jitter');
  });
});

describe('user-code throttle', () => {
  it('blocks an address after 10 wrong codes, and everyone after 1000 from anywhere', () => {
    const throttle = new UserCodeThrottle();
    const t = 5_000_000;
    for (let i = 0; i < 9; i++) throttle.failed('192.0.2.1', t);
    assert.equal(throttle.retryAfter('192.0.2.1', t), 0);
    throttle.failed('192.0.2.1', t);
    assert.ok(throttle.retryAfter('192.0.2.1', t) >= 60);
    assert.equal(throttle.retryAfter('192.0.2.2', t), 0, 'another address is not held back');
    for (let i = 0; i < 990; i++) throttle.failed(`198.51.100.${i % 250}`, t);
    assert.ok(throttle.retryAfter('203.0.113.9', t) >= 1, 'the all-address bound holds');
  });
});
