import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { createServer, type Server } from 'node:http';
import assert from 'node:assert/strict';
import { jwtVerify } from 'jose';
import { BackchannelLogoutDispatcher } from '../../../src/application/backchannelLogout.js';
import { endSession } from '../../../src/application/endSession.js';
import { dueLogouts } from '../../../src/application/queries/authorization.js';
import { startSession } from '../../../src/application/startSession.js';
import { ledgerBlocks } from '../../../src/application/throttle.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { sessionStream } from '../../../src/domain/sessions/streams.js';
import { clientStream } from '../../../src/domain/clients/streams.js';
import type { ClientRegistration } from '../../../src/domain/clients/events.js';
import { clientMetadata } from '../../../src/domain/clients/metadataDefaults.js';
import { clientById } from '../../../src/application/queries/clients.js';
import { ISSUER, memoryPorts, T0, testKey, type MemoryPorts } from '../../helpers/memoryPorts.js';
import { ctx, givenClient, givenCode, givenUser, typed } from './fixtures.js';

let ports: MemoryPorts;
beforeEach(async () => {
  ports = await memoryPorts();
});
afterEach(() => ports.close());

describe('BackchannelLogoutDispatcher', () => {
  const realFetch = globalThis.fetch;
  let posted: Array<{ url: string; body: string }>;
  let status: number;
  beforeEach(() => {
    posted = [];
    status = 200;
    // No socket: the client's logout endpoint answers from here.
    globalThis.fetch = (url, init) => {
      // The dispatcher posts a string URL and a form-encoded string body.
      posted.push({ url: url as string, body: init?.body as string });
      return Promise.resolve(new Response(null, { status }));
    };
  });
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  /** A session in which the client received a code, ended: a logout token is owed. */
  async function givenEndedSession() {
    const client = await givenClient(ports, 'app', { backchannel_logout_uri: 'https://app.example/logout' });
    const sub = await givenUser(ports);
    const { sid } = await startSession(ports, sub, ['pwd'], ctx);
    const sidHash = sha256(sid);
    await givenCode(ports, client, { sub, authTime: T0 / 1000, sid: sidHash }, { scope: 'openid' });
    await endSession(ports, sid, 'logout', ctx);
    return { sub, sidHash };
  }

  it('posts a signed logout token and records BackchannelLogoutDelivered; nothing is owed after', async () => {
    const { sub, sidHash } = await givenEndedSession();
    const [owed] = dueLogouts(ports.views, ports.now);
    const head = await ports.head();
    await new BackchannelLogoutDispatcher(ports).tick();
    assert.deepEqual(
      ports.writtenAfter(head).map((e) => [e.type, e.stream, e.data]),
      [['BackchannelLogoutDelivered', sessionStream(sidHash), { sidHash, clientId: 'app', jti: owed.jti, attempt: 1 }]],
    );
    assert.equal(posted.length, 1);
    assert.equal(posted[0].url, 'https://app.example/logout');
    const token = new URLSearchParams(posted[0].body).get('logout_token')!;
    const { payload, protectedHeader } = await jwtVerify(token, testKey('RS256').publicKey, {
      issuer: ISSUER,
      audience: 'app',
      currentDate: new Date(T0),
    });
    assert.equal(protectedHeader.typ, 'logout+jwt');
    assert.deepEqual(
      [payload.sub, payload.sid, payload.jti, payload.events],
      [sub, sidHash, owed.jti, { 'http://schemas.openid.net/event/backchannel-logout': {} }],
    );
    await ports.runner.waitFor(await ports.head());
    assert.deepEqual(dueLogouts(ports.views, ports.now + 3_600_000), []);
  });

  it('records a failure with the next attempt 2 s later, and tries again only then', async () => {
    const { sidHash } = await givenEndedSession();
    status = 500;
    const dispatcher = new BackchannelLogoutDispatcher(ports);
    const head = await ports.head();
    await dispatcher.tick();
    const [failed] = ports.writtenAfter(head);
    assert.equal(failed.type, 'BackchannelLogoutFailed');
    assert.deepEqual(
      (({ sidHash: s, attempt, error, nextAttemptAt }) => ({ s, attempt, error, nextAttemptAt }))(
        failed.data as { sidHash: string; attempt: number; error: string; nextAttemptAt: string },
      ),
      { s: sidHash, attempt: 1, error: 'HTTP 500', nextAttemptAt: new Date(T0 + 2000).toISOString() },
    );
    await ports.runner.waitFor(await ports.head());
    const after = await ports.head();
    await dispatcher.tick();
    assert.equal(await ports.head(), after, 'not due yet: no attempt, nothing written');
    status = 204;
    ports.now = T0 + 2000;
    await dispatcher.tick();
    assert.deepEqual(typed(ports.writtenAfter(after)), ['BackchannelLogoutDelivered']);
    assert.equal((ports.writtenAfter(after)[0].data as { attempt: number }).attempt, 2);
    assert.equal(posted.length, 2);
  });
});

describe('BackchannelLogoutDispatcher and self-registered clients (no SSRF)', () => {
  let rp: Server;
  let hits = 0;
  let uri: string;
  before(async () => {
    rp = createServer((_req, res) => {
      hits++;
      res.writeHead(200).end();
    });
    await new Promise<void>((r) => rp.listen(0, '127.0.0.1', r));
    uri = `http://127.0.0.1:${(rp.address() as { port: number }).port}/bcl`;
  });
  after(() => new Promise<void>((r) => rp.close(() => r())));

  /** A session in which `clientId` received a code, ended: a logout token is owed to it. */
  async function givenEndedSession(clientId: string, registration?: ClientRegistration) {
    const metadata = clientMetadata({ redirect_uris: ['https://app.example/cb'], backchannel_logout_uri: uri });
    await ports.given(clientStream(clientId), [
      { type: 'ClientRegistered', data: { clientId, metadata, secret: null, ...(registration && { registration }) } },
    ]);
    const client = clientById(ports.views, clientId)!;
    const sub = await givenUser(ports, clientId);
    const { sid } = await startSession(ports, sub, ['pwd'], ctx);
    const sidHash = sha256(sid);
    await givenCode(ports, client, { sub, authTime: T0 / 1000, sid: sidHash }, { scope: 'openid' });
    await endSession(ports, sid, 'logout', ctx);
    return sidHash;
  }

  it('a self-registered client with a loopback URI is sent nothing; the refusal is a failed attempt', async () => {
    hits = 0;
    const sidHash = await givenEndedSession('dyn', { via: 'dynamic', access: 'open' });
    const head = await ports.head();
    await new BackchannelLogoutDispatcher(ports).tick();
    const [failed, ...rest] = ports.writtenAfter(head);
    assert.deepEqual([failed.type, rest], ['BackchannelLogoutFailed', []]);
    const { error, attempt, nextAttemptAt } = failed.data as { error: string; attempt: number; nextAttemptAt: string };
    assert.deepEqual(
      { stream: failed.stream, error, attempt, nextAttemptAt },
      {
        stream: sessionStream(sidHash),
        error:
          'refused: 127.0.0.1 is not a public address (loopback); ' +
          'only public addresses are posted to for a self-registered client',
        attempt: 1,
        nextAttemptAt: new Date(T0 + 2000).toISOString(),
      },
    );
    assert.equal(hits, 0);
  });

  it('an operator client with the same URI is delivered to (operators may name internal services)', async () => {
    hits = 0;
    await givenEndedSession('operators');
    const head = await ports.head();
    await new BackchannelLogoutDispatcher(ports).tick();
    assert.deepEqual(typed(ports.writtenAfter(head)), ['BackchannelLogoutDelivered']);
    assert.equal(hits, 1);
  });
});

describe('ledgerBlocks (the throttles shared through the ledger)', () => {
  it('records a block (LoginThrottled, until as ISO time) that every instance then reads from its view', async () => {
    const blocks = ledgerBlocks(ports);
    assert.equal(blocks.get('login', 'ip', '192.0.2.1'), undefined);
    const head = await ports.head();
    await blocks.publish({ scope: 'login', tier: 'ip', subject: '192.0.2.1', failures: 7, until: T0 + 60_000 });
    assert.deepEqual(
      ports.writtenAfter(head).map((e) => [e.type, e.data]),
      [
        [
          'LoginThrottled',
          { tier: 'ip', subject: '192.0.2.1', failures: 7, until: new Date(T0 + 60_000).toISOString() },
        ],
      ],
    );
    const other = await memoryPorts({ store: ports.store });
    try {
      assert.deepEqual(ledgerBlocks(other).get('login', 'ip', '192.0.2.1'), { until: T0 + 60_000, failures: 7 });
    } finally {
      await other.close();
    }
  });

  it('a block the ledger refuses costs only the sharing: logged, not thrown, nothing written', async () => {
    const warnings: string[] = [];
    const blocks = ledgerBlocks(ports, { warn: (_obj, msg) => warnings.push(msg) });
    const head = await ports.head();
    // A tier the event schema does not name: the ledger refuses it before writing.
    await blocks.publish({ scope: 'client', tier: 'pair', subject: 'x', failures: 1, until: T0 });
    assert.deepEqual(warnings, ['throttle block not recorded']);
    assert.equal(await ports.head(), head);
  });
});
