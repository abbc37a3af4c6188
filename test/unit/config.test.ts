import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('configuration from the environment', () => {
  it('has documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.issuer, 'http://localhost:3000');
    assert.equal(c.dataDir, resolve('./data'));
    assert.equal(c.eventstoreConnectionString, undefined);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.trustProxy, false, 'X-Forwarded-For is not trusted unless a proxy is declared');
    assert.equal(c.refreshTokenIdleSeconds, 1_209_600);
    assert.equal(c.refreshTokenAbsoluteSeconds, 2_592_000);
    assert.deepEqual(c.http, {
      requestTimeoutMs: 10_000,
      headersTimeoutMs: 5_000,
      keepAliveTimeoutMs: 72_000,
      maxConnections: 1024,
    });
  });

  it('HTTP limits: a headers timeout follows a lower request timeout when unset', () => {
    assert.deepEqual(loadConfig({ REQUEST_TIMEOUT_MS: '2000' }).http, {
      requestTimeoutMs: 2000,
      headersTimeoutMs: 2000,
      keepAliveTimeoutMs: 72_000,
      maxConnections: 1024,
    });
    assert.equal(loadConfig({ MAX_CONNECTIONS: '3' }).http.maxConnections, 3);
  });

  it('refresh token lifetimes: an idle TTL up to the absolute one; left unset, it follows a lower absolute TTL', () => {
    const equal = loadConfig({ REFRESH_TOKEN_IDLE_TTL: '3600', REFRESH_TOKEN_ABSOLUTE_TTL: '3600' });
    assert.deepEqual([equal.refreshTokenIdleSeconds, equal.refreshTokenAbsoluteSeconds], [3600, 3600]);
    const lowered = loadConfig({ REFRESH_TOKEN_ABSOLUTE_TTL: '86400' });
    assert.deepEqual([lowered.refreshTokenIdleSeconds, lowered.refreshTokenAbsoluteSeconds], [86_400, 86_400]);
  });

  for (const [env, pattern] of [
    [{ PORT: 'eighty' }, /^PORT="eighty" is invalid: expected a whole number from 0 to 65535$/],
    [{ PORT: '70000' }, /^PORT="70000" is invalid/],
    [{ ISSUER: 'auth.example.com' }, /^ISSUER="auth.example.com" is invalid: expected an http\(s\) URL/],
    [{ ISSUER: 'https://a.example/?x=1' }, /^ISSUER=.* without query, fragment or credentials$/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL="loud" is invalid: expected one of fatal, error/],
    [
      { EVENTSTORE_CONNECTION_STRING: 'http://x' },
      /^EVENTSTORE_CONNECTION_STRING is invalid: expected a connection string/,
    ],
    [{ KEY_ENCRYPTION_SECRET: 'short' }, /^KEY_ENCRYPTION_SECRET is invalid: expected at least 32 characters/],
    [{ TRUST_PROXY: 'yes please' }, /^TRUST_PROXY="yes please" is invalid: expected true, false, a hop count/],
    [
      { REFRESH_TOKEN_IDLE_TTL: '1000', REFRESH_TOKEN_ABSOLUTE_TTL: '100' },
      /^REFRESH_TOKEN_IDLE_TTL=1000 is invalid: expected at most REFRESH_TOKEN_ABSOLUTE_TTL \(100\)$/,
    ],
    [{ REQUEST_TIMEOUT_MS: '0' }, /^REQUEST_TIMEOUT_MS="0" is invalid: expected a whole number from 100 to 600000$/],
    [
      { REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '2000' },
      /^HEADERS_TIMEOUT_MS=2000 is invalid: expected at most REQUEST_TIMEOUT_MS \(1000\)$/,
    ],
    [
      { KEEP_ALIVE_TIMEOUT_MS: '700000' },
      /^KEEP_ALIVE_TIMEOUT_MS="700000" is invalid: expected a whole number from 100 to 600000$/,
    ],
    [{ MAX_CONNECTIONS: '0' }, /^MAX_CONNECTIONS="0" is invalid: expected a whole number from 1 to 1000000$/],
    [
      { REFRESH_TOKEN_IDLE_TTL: '2600000' },
      /^REFRESH_TOKEN_IDLE_TTL=2600000 is invalid: expected at most REFRESH_TOKEN_ABSOLUTE_TTL \(2592000\)$/,
    ],
  ] as const) {
    it(`refuses ${JSON.stringify(env)} with one line naming the variable`, () => {
      assert.throws(
        () => loadConfig(env),
        (e: Error) => e instanceof ConfigError && pattern.test(e.message) && !e.message.includes('\n'),
      );
    });
  }
});
