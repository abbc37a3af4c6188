import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { installMemoryTracing, type MemoryTracing } from '../helpers/tracing.js';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import type { RecordedEvent } from '../../src/eventsourcing/eventStore.js';

const SERVER = SpanKind.SERVER;
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const only = (spans: ReadableSpan[], name: string) => {
  const found = spans.filter((s) => s.name === name);
  assert.equal(found.length, 1, `one span "${name}" in ${spans.map((s) => s.name).join(', ')}`);
  return found[0];
};

describe('tracing: a request is one trace, and its events carry the trace id', () => {
  let tracing: MemoryTracing;
  let server: TestServer;
  let client: { clientId: string; secret: string | null };
  before(async () => {
    tracing = await installMemoryTracing();
    server = await startTestServer();
    client = await registerClient(server, { scope: 'orders:read' });
  });
  after(async () => {
    await server.close();
    await tracing.shutdown();
    removeDir(server.dataDir);
  });

  /** A client-credentials request over the socket; the events it caused. */
  async function issue(headers: Record<string, string> = {}): Promise<RecordedEvent[]> {
    const head = await server.runtime.store.headPosition();
    const res = await postForm(
      server,
      '/token',
      { grant_type: 'client_credentials', scope: 'orders:read' },
      { ...basic(client.clientId, client.secret!), ...headers },
    );
    assert.equal(res.status, 200, res.text);
    const events = await server.runtime.store.readAll(head, 100);
    assert.ok(events.length > 0, 'the issuance is recorded');
    return events;
  }

  /** The trace's spans once the request span has ended (it ends after the answer is sent). */
  async function traceOf(traceId: string): Promise<ReadableSpan[]> {
    for (let i = 0; i < 100; i++) {
      const spans = tracing.spansOf(traceId);
      if (spans.some((s) => s.kind === SERVER)) return spans;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.fail(`no request span in trace ${traceId}`);
  }

  it('request → command → append → group commit, and the wait for the views, with the trace id as correlationId', async () => {
    const events = await issue();
    const traceId = events[0].metadata.correlationId;
    assert.match(traceId, /^[0-9a-f]{32}$/);
    for (const e of events) assert.equal(e.metadata.correlationId, traceId);
    const spans = await traceOf(traceId);

    const request = only(spans, 'POST /token');
    assert.equal(request.kind, SERVER);
    assert.equal(parentOf(request), undefined, 'a new trace starts at the request');
    assert.equal(request.attributes['http.request.method'], 'POST');
    assert.equal(request.attributes['http.route'], '/token');
    assert.equal(request.attributes['http.response.status_code'], 200);
    assert.equal(request.attributes['url.path'], '/token');

    const commands = spans.filter((s) => s.name.startsWith('command '));
    assert.ok(commands.length >= 1);
    const command = commands.find((c) =>
      spans.some((s) => s.name === 'ledger append' && parentOf(s) === c.spanContext().spanId),
    );
    assert.ok(command, `a command that appended, in ${spans.map((s) => s.name).join(', ')}`);
    assert.equal(parentOf(command), request.spanContext().spanId);
    assert.equal(command.attributes['token_ledger.correlation_id'], traceId);
    assert.equal(command.attributes['token_ledger.actor'], `client:${client.clientId}`);

    const append = spans.find((s) => s.name === 'ledger append' && parentOf(s) === command.spanContext().spanId)!;
    const types = append.attributes['token_ledger.event.types'] as string[];
    assert.ok(types.every((t) => events.some((e) => e.type === t)));
    const written = events.filter((e) => types.includes(e.type));
    assert.equal(append.attributes['token_ledger.position'], Number(written[written.length - 1].position));

    const commit = spans.find((s) => s.name === 'sqlite group commit' && parentOf(s) === append.spanContext().spanId);
    assert.ok(commit, 'the wait for the group commit is a child of the append');
    assert.ok((commit.attributes['token_ledger.batch.size'] as number) >= 1);
    assert.equal(typeof commit.attributes['token_ledger.batch.commit_ms'], 'number');

    const wait = spans.find((s) => s.name === 'wait for views' && parentOf(s) === command.spanContext().spanId);
    assert.ok(wait, 'the wait for the views is a child of the command');
    assert.equal(wait.attributes['token_ledger.position'], append.attributes['token_ledger.position']);
    // In order: the append ends before the wait for the views starts, and both within the request. The SDK takes a
    // span's start from Date.now() (whole milliseconds) and its end from performance.now(), so a start can read up to
    // a millisecond before the end of the span just before it: that much slack.
    const ns = (t: [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
    const notAfter = (a: [number, number], b: [number, number]) => ns(a) <= ns(b) + 1_000_000n;
    assert.ok(notAfter(append.endTime, wait.startTime), 'the append ends before the wait for the views starts');
    assert.ok(notAfter(request.startTime, command.startTime) && notAfter(command.endTime, request.endTime));
  });

  it('continues the trace of an incoming W3C traceparent', async () => {
    const traceId = randomBytes(16).toString('hex');
    const parentSpan = randomBytes(8).toString('hex');
    const events = await issue({ traceparent: `00-${traceId}-${parentSpan}-01` });
    for (const e of events) assert.equal(e.metadata.correlationId, traceId);
    const request = only(await traceOf(traceId), 'POST /token');
    assert.equal(parentOf(request), parentSpan);
    assert.equal(request.parentSpanContext?.isRemote, true);
  });

  it('starts a new trace when the traceparent is malformed', async () => {
    const events = await issue({ traceparent: `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01` });
    const traceId = events[0].metadata.correlationId;
    assert.match(traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(traceId, '0'.repeat(32));
    assert.equal(parentOf(only(await traceOf(traceId), 'POST /token')), undefined);
  });

  it('a refused request is traced with its status, not as a server failure, and writes nothing', async () => {
    const head = await server.runtime.store.headPosition();
    const res = await postForm(
      server,
      '/token',
      { grant_type: 'client_credentials', scope: 'not-allowed' },
      basic(client.clientId, client.secret!),
    );
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_scope');
    const spans = tracing.exporter.getFinishedSpans();
    const request = [...spans].reverse().find((s) => s.name === 'POST /token');
    assert.ok(request);
    assert.equal(request.attributes['http.response.status_code'], 400);
    assert.equal(request.status.code, 0, 'a 400 is not a server error');
    assert.deepEqual(await server.runtime.store.readAll(head, 10), [], 'nothing was written');
  });
});
