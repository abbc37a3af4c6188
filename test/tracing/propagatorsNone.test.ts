import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { enableTracing } from '../../src/tracing/start.js';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';

describe('tracing with OTEL_PROPAGATORS=none', () => {
  let tracing: { shutdown(): Promise<void> };
  let server: TestServer;
  before(async () => {
    tracing = await enableTracing([new SimpleSpanProcessor(new InMemorySpanExporter())], { continueIncoming: false });
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
    await tracing.shutdown();
    removeDir(server.dataDir);
  });

  it("ignores the caller's traceparent: the request starts its own trace, and its events carry that trace id", async () => {
    const client = await registerClient(server, { scope: 'orders:read' });
    const theirs = 'c'.repeat(32);
    const head = await server.runtime.store.headPosition();
    const res = await postForm(
      server,
      '/token',
      { grant_type: 'client_credentials' },
      { ...basic(client.clientId, client.secret!), traceparent: `00-${theirs}-${'d'.repeat(16)}-01` },
    );
    assert.equal(res.status, 200, res.text);
    const [event] = await server.runtime.store.readAll(head, 10);
    assert.match(event.metadata.correlationId, /^[0-9a-f]{32}$/);
    assert.notEqual(event.metadata.correlationId, theirs);
  });
});
