import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';

/** A raw connection: what the server sent, and when (ms after connecting) it closed the socket. */
interface Raw {
  socket: Socket;
  received: () => string;
  closed: Promise<number>;
}

function open(server: TestServer): Promise<Raw> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(Number(port), '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (data += chunk));
    const closed = new Promise<number>((done) => socket.once('close', () => done(performance.now() - started)));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

/** Resolves with the close time, or fails when the socket is still open after `limitMs`. */
async function closedWithin(raw: Raw, limitMs: number, what: string): Promise<number> {
  const timeout = sleep(limitMs).then(() => -1);
  const at = await Promise.race([raw.closed, timeout]);
  if (at < 0) {
    raw.socket.destroy();
    assert.fail(`${what}: still open after ${limitMs} ms`);
  }
  return at;
}

const HEALTH = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

describe('slow requests are cut off (REQUEST_TIMEOUT_MS, HEADERS_TIMEOUT_MS)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { REQUEST_TIMEOUT_MS: '600', HEADERS_TIMEOUT_MS: '400' } });
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  for (const [what, sent, timeoutMs] of [
    [
      'a body announced as 100 bytes of which 11 arrive: 408 and closed within the request timeout',
      'Content-Length: 100\r\n\r\ngrant_type=',
      600,
    ],
    ['headers that never end: 408 and closed within the headers timeout', 'X-Slow: ', 400],
  ] as const) {
    it(what, async () => {
      const raw = await open(server);
      raw.socket.write(
        `POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n${sent}`,
      );
      const at = await closedWithin(raw, 3000, what);
      assert.ok(at >= timeoutMs - 50, `not before the timeout: ${at.toFixed(0)} ms`);
      assert.match(raw.received(), /^HTTP\/1\.1 408 /);
    });
  }

  it('a graphql-ws subscription lives on well past the request timeout', async () => {
    const auditor = await registerClient(server, { scope: 'ledger:audit' });
    const token = await postForm(
      server,
      '/token',
      { grant_type: 'client_credentials' },
      basic(auditor.clientId, auditor.secret!),
    );
    assert.equal(token.status, 200, token.text);
    const client = createClient({
      url: `${server.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${token.body.access_token}` },
    });
    try {
      const seen: string[] = [];
      let ended: unknown;
      const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
      client.subscribe<{ ledgerEvents: { stream: string } }>(
        { query: 'subscription { ledgerEvents(category: "client") { stream } }' },
        {
          next: (r) => r.data && seen.push(r.data.ledgerEvents.stream),
          error: (e) => (ended = e ?? 'error'),
          complete: () => (ended = 'complete'),
        },
      );
      await connected;
      await sleep(2000);
      assert.equal(ended, undefined, 'the subscription is still open after three request timeouts');
      const later = await registerClient(server, {});
      const deadline = Date.now() + 5000;
      while (!seen.includes(`client-${later.clientId}`) && Date.now() < deadline) await sleep(20);
      assert.ok(seen.includes(`client-${later.clientId}`), `events still arrive: ${seen.join(', ')}`);
    } finally {
      await client.dispose();
    }
  });
});

describe('the connection cap (MAX_CONNECTIONS)', () => {
  let server: TestServer;
  const held: Raw[] = [];
  before(async () => {
    server = await startTestServer({ env: { MAX_CONNECTIONS: '3' } });
  });
  after(async () => {
    for (const raw of held) raw.socket.destroy();
    await server.close();
    removeDir(server.dataDir);
  });

  /** A kept-alive connection that has been answered once. */
  async function hold(): Promise<Raw> {
    const raw = await open(server);
    held.push(raw);
    raw.socket.write(HEALTH);
    const deadline = Date.now() + 5000;
    while (!raw.received().includes('"status":"ok"') && Date.now() < deadline) await sleep(10);
    assert.match(raw.received(), /^HTTP\/1\.1 200 /);
    return raw;
  }

  it('refuses connection N+1 while N are open, and serves again once one closes', async () => {
    const first = await hold();
    await hold();
    await hold();
    const extra = await open(server);
    held.push(extra);
    extra.socket.write(HEALTH);
    await closedWithin(extra, 2000, 'connection 4 of 3');
    assert.equal(extra.received(), '', 'closed without an answer');

    first.socket.end();
    await first.closed;
    let served = false;
    for (let i = 0; i < 50 && !served; i++) {
      const again = await open(server);
      held.push(again);
      again.socket.write(HEALTH);
      await Promise.race([again.closed, sleep(500)]);
      served = again.received().startsWith('HTTP/1.1 200 ');
      if (!served) await sleep(20);
    }
    assert.ok(served, 'a new connection is served once one of the three closed');
  });
});
