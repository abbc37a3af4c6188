import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RegistrationRate } from '../../src/security/registrationRate.js';

const refusedAfter = (seconds: number) => (e: { status: number; headers: Record<string, string> }) =>
  e.status === 429 && e.headers['retry-after'] === String(seconds);

describe('registration rate per address', () => {
  it('allows the hourly rate at once, then one more each rate-th of an hour, naming the wait', () => {
    const rate = new RegistrationRate(3);
    for (let i = 0; i < 3; i++) rate.take('192.0.2.1', 0);
    // 3 an hour: a new one every 20 minutes.
    assert.throws(() => rate.take('192.0.2.1', 0), refusedAfter(1200));
    assert.throws(() => rate.take('192.0.2.1', 600_000), refusedAfter(600));
    rate.take('192.0.2.1', 1_200_000);
    assert.throws(() => rate.take('192.0.2.1', 1_200_000), refusedAfter(1200));
    // A refused attempt is not counted: the wait does not grow with retries.
    rate.take('192.0.2.1', 2_400_000);
  });
  it('counts IPv6 addresses by their /64, and each address apart', () => {
    const rate = new RegistrationRate(1);
    rate.take('2001:db8:a:b::1', 0);
    assert.throws(() => rate.take('2001:db8:a:b:ffff:ffff:ffff:ffff', 0), refusedAfter(3600));
    rate.take('2001:db8:a:c::1', 0);
    rate.take('::ffff:192.0.2.9', 0);
    assert.throws(() => rate.take('192.0.2.9', 0), refusedAfter(3600));
  });
});
