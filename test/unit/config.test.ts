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
  });

  for (const [env, pattern] of [
    [{ PORT: 'eighty' }, /^PORT="eighty" is invalid: expected a whole number from 0 to 65535$/],
    [{ PORT: '70000' }, /^PORT="70000" is invalid/],
    [{ ISSUER: 'auth.example.com' }, /^ISSUER="auth.example.com" is invalid: expected an http\(s\) URL/],
    [{ ISSUER: 'https://a.example/?x=1' }, /^ISSUER=.* without query, fragment or credentials$/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL="loud" is invalid: expected one of fatal, error/],
    [{ EVENTSTORE_CONNECTION_STRING: 'http://x' }, /^EVENTSTORE_CONNECTION_STRING is invalid: expected a connection string/],
    [{ KEY_ENCRYPTION_SECRET: 'short' }, /^KEY_ENCRYPTION_SECRET is invalid: expected at least 32 characters/],
    [{ TRUST_PROXY: 'yes please' }, /^TRUST_PROXY="yes please" is invalid: expected true, false, a hop count/],
  ] as const) {
    it(`refuses ${JSON.stringify(env)} with one line naming the variable`, () => {
      assert.throws(() => loadConfig(env), (e: Error) => e instanceof ConfigError && pattern.test(e.message) && !e.message.includes('\n'));
    });
  }
});
