import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { registerClient } from '../helpers/oauth.js';
import { removeDir, startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { newSecret, startReceiver, type Received } from '../helpers/webhookReceiver.js';
import type { RecordedEvent } from '../../src/eventsourcing/eventStore.js';

async function ledger(server: TestServer): Promise<RecordedEvent[]> {
  return server.runtime.storeAsStored.readAll(0n, 10_000);
}

function sinksFile(dir: string, sinks: object[]): string {
  const file = join(dir, 'sinks.json');
  writeFileSync(file, JSON.stringify({ sinks }));
  return file;
}

/**
 * The ids received, each once, in the order first received. An attempt that timed out after the receiver took it
 * (a loaded machine) is sent again: at-least-once allows that repeat, with the same id and the same body.
 */
function distinctIds(accepted: Received[]): string[] {
  const bodies = new Map<string, string>();
  for (const r of accepted) {
    const before = bodies.get(r.id);
    assert.ok(before === undefined || before === r.body, `a repeat of ${r.id} is the same CloudEvent`);
    bodies.set(r.id, r.body);
  }
  return [...bodies.keys()];
}

const FAST = {
  EVENT_SINKS_ALLOW_HTTP_LOOPBACK: 'true',
  EVENT_SINKS_TIMEOUT_MS: '1000',
  EVENT_SINKS_RETRY_MAX_MS: '200',
};

describe('outbound feed: webhook delivery', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeDir));

  it('delivers every event in order through 500s and a timeout, signed, as CloudEvents', async () => {
    const secret = newSecret();
    // Fails the first three requests, hangs on the fourth (the attempt times out), then answers.
    const receiver = await startReceiver(secret, (n) => (n < 3 ? 'fail' : n === 3 ? 'hang' : 'ok'));
    const dir = tempDir();
    dirs.push(dir);
    const server = await startTestServer({
      dataDir: dir,
      env: { ...FAST, EVENT_SINKS_FILE: sinksFile(dir, [{ id: 'siem', url: receiver.url, secret }]) },
    });
    try {
      for (let i = 0; i < 5; i++) await registerClient(server, {});
      const all = await ledger(server);
      await receiver.until(() => new Set(receiver.accepted.map((r) => r.id)).size >= all.length);
      assert.ok(receiver.requests > all.length, 'failed attempts were made');
      assert.deepEqual(
        distinctIds(receiver.accepted),
        all.map((e) => e.id),
        'each event once, in ledger order',
      );
      for (const r of receiver.accepted) {
        assert.equal(r.verified, true, 'Standard Webhooks signature verifies');
        assert.equal(r.contentType, 'application/cloudevents+json');
      }
      const first = receiver.accepted[0].event;
      const e = all[0];
      assert.deepEqual(first, {
        specversion: '1.0',
        id: e.id,
        source: `${server.runtime.config.issuer}/streams/${encodeURIComponent(e.stream)}`,
        type: `dev.token-ledger.${e.type}`,
        subject: e.stream,
        time: e.recordedAt.toISOString(),
        datacontenttype: 'application/json',
        data: e.data,
        ledgerposition: e.position.toString(),
        ledgerrevision: e.revision,
        ledgerhash: e.metadata.hash,
        ledgerprevhash: e.metadata.prevHash,
        ledgeractor: e.metadata.actor,
        ledgercorrelationid: e.metadata.correlationId,
      });
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      const head = all.at(-1)!.position;
      assert.match(metrics, new RegExp(`event_sink_position\\{sink="siem"\\} ${head}`));
      assert.match(metrics, /event_sink_lag_events\{sink="siem"\} 0/);
      assert.match(metrics, /event_sink_attempts_total\{sink="siem",outcome="failed"\} [4-9]/);
    } finally {
      await server.close();
      await receiver.close();
    }
  });

  it('filters by type and by category; the position passes the events filtered out', async () => {
    const secret = newSecret();
    const byType = await startReceiver(secret);
    const byCategory = await startReceiver(secret);
    const dir = tempDir();
    dirs.push(dir);
    const server = await startTestServer({
      dataDir: dir,
      env: {
        ...FAST,
        EVENT_SINKS_FILE: sinksFile(dir, [
          { id: 'registrations', url: byType.url, secret, types: ['ClientRegistered'] },
          { id: 'keys', url: byCategory.url, secret, categories: ['keyring'] },
        ]),
      },
    });
    try {
      for (let i = 0; i < 3; i++) await registerClient(server, {});
      const all = await ledger(server);
      const registered = all.filter((e) => e.type === 'ClientRegistered');
      const keyring = all.filter((e) => e.stream.startsWith('keyring'));
      // The test's three, and the console's own client the server registered at start.
      assert.equal(registered.length, 4);
      assert.ok(keyring.length > 0);
      await byType.until(() => distinctIds(byType.accepted).length >= 4);
      await byCategory.until(() => distinctIds(byCategory.accepted).length >= keyring.length);
      const head = all.at(-1)!.position;
      await waitFor(async () => (await sinkPositions(server)).every((p) => p === head));
      assert.deepEqual(
        distinctIds(byType.accepted),
        registered.map((e) => e.id),
      );
      assert.deepEqual(
        distinctIds(byCategory.accepted),
        keyring.map((e) => e.id),
      );
    } finally {
      await server.close();
      await byType.close();
      await byCategory.close();
    }
  });

  it('parks a sink that fails for parkAfterSeconds, at its position, and resumes it with nothing skipped', async () => {
    const secret = newSecret();
    const receiver = await startReceiver(secret, () => 'fail');
    const dir = tempDir();
    dirs.push(dir);
    const server = await startTestServer({
      dataDir: dir,
      env: {
        ...FAST,
        EVENT_SINKS_FILE: sinksFile(dir, [{ id: 'flaky', url: receiver.url, secret, parkAfterSeconds: 1 }]),
      },
    });
    try {
      await waitFor(async () => (await ledger(server)).some((e) => e.type === 'EventSinkParked'));
      const parked = (await ledger(server)).find((e) => e.type === 'EventSinkParked')!;
      assert.equal((parked.data as { id: string }).id, 'flaky');
      assert.equal((parked.data as { position: string }).position, '0');
      assert.equal((parked.data as { lastError: string }).lastError, 'HTTP 500');
      const requestsWhenParked = receiver.requests;
      await new Promise((r) => setTimeout(r, 700));
      assert.equal(receiver.requests, requestsWhenParked, 'a parked sink is not tried');
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /event_sink_parked\{sink="flaky"\} 1/);
      receiver.behaviour = () => 'ok';
      await server.runtime.ports.events.ledger.store.headPosition();
      const { resumeEventSink } = await import('../../src/application/eventSinks.js');
      await resumeEventSink(
        { events: server.runtime.ports.events, keyEncryptionSecret: '', sinks: server.runtime.config.eventSinks },
        'flaky',
        { actor: 'operator:test', correlationId: 'c' },
      );
      const all = await ledger(server);
      await receiver.until(() => distinctIds(receiver.accepted).length >= all.length);
      assert.deepEqual(
        distinctIds(receiver.accepted).slice(0, all.length),
        all.map((e) => e.id),
        'from the first event on, the parking and the resumption included',
      );
    } finally {
      await server.close();
      await receiver.close();
    }
  });
  it('two servers on one data directory: one delivers, each event once and in order', async () => {
    const secret = newSecret();
    const receiver = await startReceiver(secret);
    const dir = tempDir();
    dirs.push(dir);
    const env = { ...FAST, EVENT_SINKS_FILE: sinksFile(dir, [{ id: 'siem', url: receiver.url, secret }]) };
    const a = await startTestServer({ dataDir: dir, env });
    const b = await startTestServer({ dataDir: dir, env });
    try {
      for (let i = 0; i < 4; i++) await registerClient(i % 2 ? a : b, {});
      const all = await ledger(a);
      await receiver.until(() => distinctIds(receiver.accepted).length >= all.length);
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(
        distinctIds(receiver.accepted),
        all.map((e) => e.id),
      );
    } finally {
      await a.close();
      await b.close();
      await receiver.close();
    }
  });
});

async function sinkPositions(server: TestServer): Promise<bigint[]> {
  return (await server.runtime.sinkCursors().all()).map((c) => c.position);
}

async function waitFor(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; !(await check()); await new Promise((r) => setTimeout(r, 100)))
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
}
