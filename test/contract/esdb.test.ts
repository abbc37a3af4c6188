import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { StoreUnavailableError } from '../../src/eventsourcing/eventStore.js';
import { openEsdbEventStore } from '../../src/stores/esdb/esdbEventStore.js';
import { runEventStoreContract } from './eventStoreContract.js';

// Nothing listens on port 1, so these run anywhere, with no server and no mock.
test('refuses to open an unreachable EventStoreDB with a clear error', async () => {
  const started = Date.now();
  await assert.rejects(openEsdbEventStore('kurrentdb://127.0.0.1:1?tls=false'), (err: unknown) => {
    assert.ok(err instanceof StoreUnavailableError, `a StoreUnavailableError, got ${String(err)}`);
    // The client's native reader names only the error class; the adapter says what it means.
    assert.equal(
      err.message,
      'cannot open the EventStoreDB ledger at 127.0.0.1:1: unavailable (no connection to the server)',
    );
    return true;
  });
  assert.ok(Date.now() - started < 6_000, 'gave up within 6 s');
});

test('gives up on a server that accepts connections but never answers', async () => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as { port: number };
  try {
    const started = Date.now();
    await assert.rejects(openEsdbEventStore(`esdb://127.0.0.1:${port}?tls=false`), (err: unknown) => {
      assert.ok(err instanceof StoreUnavailableError);
      assert.equal(err.message, `cannot open the EventStoreDB ledger at 127.0.0.1:${port}: no answer within 5 s`);
      return true;
    });
    assert.ok(Date.now() - started < 6_500, 'gave up within 6.5 s');
  } finally {
    for (const socket of sockets) socket.destroy();
    silent.close();
  }
});

test('never puts the connection string credentials in an error', async () => {
  await assert.rejects(openEsdbEventStore('esdb://admin:s3cret-pw@127.0.0.1:1?tls=false'), (err: unknown) => {
    assert.ok(err instanceof StoreUnavailableError);
    assert.doesNotMatch(err.message, /s3cret-pw|admin:/);
    return true;
  });
  await assert.rejects(openEsdbEventStore('esdb://admin:s3cret-pw@127.0.0.1:1?tls=maybe&=x'), (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.match(err.message, /^invalid EventStoreDB connection string for 127\.0\.0\.1:1/);
    assert.doesNotMatch(err.message, /s3cret-pw/);
    return true;
  });
});

const connectionString = process.env.EVENTSTORE_CONNECTION_STRING;
if (!connectionString) {
  const reason =
    'EVENTSTORE_CONNECTION_STRING is not set: the EventStoreDB adapter contract suite needs a running EventStoreDB/KurrentDB';
  console.log(reason);
  test('event store contract: esdb', { skip: reason }, () => {});
} else {
  // The ledger is shared and never emptied: the suite uses fresh stream names and relative positions.
  runEventStoreContract('esdb', {
    open: () => openEsdbEventStore(connectionString),
    openAnother: () => openEsdbEventStore(connectionString),
  });
}
