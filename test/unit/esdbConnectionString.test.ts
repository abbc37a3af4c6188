import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KurrentDBClient } from '@kurrent/kurrentdb-client';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { withCurrentScheme } from '../../src/stores/esdb/connectionString.js';
import { openEsdbEventStore } from '../../src/stores/esdb/esdbEventStore.js';

const ACCEPTED = [
  'kurrentdb://localhost:2113?tls=false',
  'kurrentdb+discover://cluster.example:2113',
  'kurrent://admin:changeit@localhost:2113?tls=false',
  'kurrent+discover://cluster.example:2113',
  'kdb://localhost:2113?tls=false',
  'kdb+discover://cluster.example:2113',
  'esdb://localhost:2113?tls=false',
  'esdb+discover://cluster.example:2113',
];

test('EVENTSTORE_CONNECTION_STRING takes every scheme the KurrentDB client parses, the old esdb ones too', async () => {
  for (const conn of ACCEPTED) {
    assert.equal(loadConfig({ EVENTSTORE_CONNECTION_STRING: conn }).eventstoreConnectionString, conn);
    // What configuration lets through, the client must parse (it connects lazily: nothing is dialled here).
    await KurrentDBClient.connectionString(withCurrentScheme(conn)).dispose();
  }
});

test('EVENTSTORE_CONNECTION_STRING with a scheme the client refuses is refused at load, naming the schemes', () => {
  for (const conn of [
    'http://localhost:2113',
    'KurrentDB://localhost:2113',
    'kurrentdb:/localhost',
    'tcp://localhost:1113',
  ]) {
    assert.throws(
      () => loadConfig({ EVENTSTORE_CONNECTION_STRING: conn }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /^EVENTSTORE_CONNECTION_STRING is invalid: expected a connection string such as kurrentdb:\/\/localhost:2113\?tls=false \(schemes kurrentdb, kurrent, kdb or esdb, each also \+discover\)$/.test(
          err.message,
        ),
      conn,
    );
  }
});

test('the old esdb schemes are handed to the client under their current names, the rest unchanged', () => {
  assert.equal(withCurrentScheme('esdb://a:b@h:2113?tls=false'), 'kurrentdb://a:b@h:2113?tls=false');
  assert.equal(withCurrentScheme(' esdb+discover://h:2113 '), 'kurrentdb+discover://h:2113');
  assert.equal(withCurrentScheme('kurrent://h:2113'), 'kurrent://h:2113');
  assert.equal(withCurrentScheme('kdb+discover://esdb://'), 'kdb+discover://esdb://');
});

test('opening with an esdb:// connection string writes no deprecation warning outside the log', async (t) => {
  const warn = t.mock.method(console, 'warn', () => undefined);
  await assert.rejects(openEsdbEventStore('esdb://127.0.0.1:1?tls=false'));
  assert.deepEqual(
    warn.mock.calls.map((c) => c.arguments),
    [],
  );
});
