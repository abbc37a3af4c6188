import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import { activeTracing } from '../../src/tracing/active.js';
import { startTracing } from '../../src/tracing/start.js';

/**
 * Tracing off, the default: this file's process never installs a tracer. OpenTelemetry's packages are CommonJS, so
 * whatever of them was loaded is in the require cache. The API is there anyway (prom-client loads it for its
 * exemplars); no SDK, exporter, resource or context manager module may be.
 */
const loadedSdkModules = () =>
  Object.keys(createRequire(import.meta.url).cache).filter(
    (file) => file.includes('/@opentelemetry/') && !file.includes('/@opentelemetry/api/'),
  );

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('tracing off', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  it('a request loads no OpenTelemetry SDK module and its events keep a UUID correlationId, traceparent or not', async () => {
    const client = await registerClient(server, { scope: 'orders:read' });
    const traceparent = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    for (const headers of [{}, { traceparent }] as Record<string, string>[]) {
      const head = await server.runtime.store.headPosition();
      const res = await postForm(
        server,
        '/token',
        { grant_type: 'client_credentials' },
        { ...basic(client.clientId, client.secret!), ...headers },
      );
      assert.equal(res.status, 200, res.text);
      const events = await server.runtime.store.readAll(head, 10);
      assert.ok(events.length > 0);
      for (const e of events) assert.match(e.metadata.correlationId, UUID);
    }
    assert.equal(activeTracing(), undefined);
    assert.deepEqual(loadedSdkModules(), []);
  });

  it('unset, "none", OTEL_SDK_DISABLED or only unknown exporters: off, with a warning for what was ignored', async () => {
    const cases: [Record<string, string>, RegExp | undefined][] = [
      [{}, undefined],
      [{ OTEL_TRACES_EXPORTER: 'none' }, undefined],
      [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }, undefined],
      [{ OTEL_TRACES_EXPORTER: 'zipkin' }, /unknown or unsupported exporter "zipkin" ignored/],
      [{ OTEL_TRACES_EXPORTER: 'otlp,none' }, /"none" turns tracing off/],
    ];
    for (const [env, warning] of cases) {
      const tracing = await startTracing(env);
      assert.equal(tracing.enabled, false, JSON.stringify(env));
      if (warning) assert.match(tracing.warnings.join('\n'), warning);
      else assert.deepEqual(tracing.warnings, []);
      await tracing.shutdown();
    }
    assert.equal(activeTracing(), undefined);
    assert.deepEqual(loadedSdkModules(), []);
  });
});
