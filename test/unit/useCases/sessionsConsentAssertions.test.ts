import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { endSession } from '../../../src/application/endSession.js';
import { consentCovers, liveSession, sessionByHash } from '../../../src/application/queries/authorization.js';
import { recordConsent } from '../../../src/application/recordConsent.js';
import { rememberClientAssertion } from '../../../src/application/rememberClientAssertion.js';
import { startSession } from '../../../src/application/startSession.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { assertionJtiHash, assertionStream } from '../../../src/domain/assertions/streams.js';
import { consentStream } from '../../../src/domain/consent/streams.js';
import { SessionError } from '../../../src/domain/sessions/decide.js';
import { sessionStream } from '../../../src/domain/sessions/streams.js';
import { memoryPorts, T0, type MemoryPorts } from '../../helpers/memoryPorts.js';
import { ctx, givenUser, refusedWithoutWrite } from './fixtures.js';

const now = T0 / 1000;
let ports: MemoryPorts;
let sub: string;
beforeEach(async () => {
  ports = await memoryPorts();
  sub = await givenUser(ports);
});
afterEach(() => ports.close());

describe('startSession and endSession', () => {
  it('starts a session: SessionStarted by the id hash, auth time now, expiry after SESSION_TTL', async () => {
    const head = await ports.head();
    const { sid, authTime } = await startSession(ports, sub, ['pwd'], ctx);
    assert.match(sid, /^tlsid_[A-Za-z0-9_-]{43}$/);
    assert.equal(authTime, now);
    const sidHash = sha256(sid);
    assert.deepEqual(
      ports.writtenAfter(head).map((e) => [e.type, e.stream, e.data]),
      [
        [
          'SessionStarted',
          sessionStream(sidHash),
          { sidHash, sub, authTime: now, amr: ['pwd'], exp: now + ports.config.sessionSeconds },
        ],
      ],
    );
    assert.ok(liveSession(ports.views, sidHash, now), 'the sessions view holds it on return');
  });

  it('ends a session once (SessionEnded with the reason); a second logout writes nothing', async () => {
    const { sid } = await startSession(ports, sub, ['pwd'], ctx);
    const head = await ports.head();
    await endSession(ports, sid, 'logout', ctx);
    assert.deepEqual(
      ports.writtenAfter(head).map((e) => [e.type, e.data]),
      [['SessionEnded', { sidHash: sha256(sid), reason: 'logout' }]],
    );
    assert.equal(sessionByHash(ports.views, sha256(sid)), undefined);
    const after = await ports.head();
    await endSession(ports, sid, 'logout again', ctx);
    assert.equal(await ports.head(), after);
  });

  it('refuses to end an unknown session: session_not_found, nothing written', async () => {
    await refusedWithoutWrite(ports, () => endSession(ports, 'tlsid_unknown', 'logout', ctx), {
      class: SessionError,
      code: 'session_not_found',
    });
  });
});

describe('recordConsent', () => {
  it('records each answer as given (AuthorizationGranted); the view covers the union of the scopes', async () => {
    const head = await ports.head();
    await recordConsent(ports, sub, 'app', 'openid read', [], ctx);
    await recordConsent(ports, sub, 'app', 'write', [], ctx);
    await recordConsent(ports, sub, 'app', 'write', [], ctx);
    const written = ports.writtenAfter(head);
    assert.deepEqual(
      written.map((e) => [e.type, e.stream, e.data]),
      [
        ['AuthorizationGranted', consentStream(sub, 'app'), { sub, clientId: 'app', scope: 'openid read' }],
        ['AuthorizationGranted', consentStream(sub, 'app'), { sub, clientId: 'app', scope: 'write' }],
        ['AuthorizationGranted', consentStream(sub, 'app'), { sub, clientId: 'app', scope: 'write' }],
      ],
    );
    assert.equal(consentCovers(ports.views, sub, 'app', ['openid', 'read', 'write'], []), true);
    assert.equal(consentCovers(ports.views, sub, 'app', ['admin'], []), false);
    assert.equal(consentCovers(ports.views, sub, 'other', ['read'], []), false, 'per client');
  });

  it('records the resources consent was given for; it covers those resources and no others', async () => {
    const user = 'consent-resources-user';
    const A = 'https://a.example/mcp';
    const B = 'https://b.example/mcp';
    const head = await ports.head();
    await recordConsent(ports, user, 'mcp', 'mcp:read', [A], ctx);
    assert.deepEqual(
      ports.writtenAfter(head).map((e) => [e.type, e.stream, e.data]),
      [
        [
          'AuthorizationGranted',
          consentStream(user, 'mcp'),
          { sub: user, clientId: 'mcp', scope: 'mcp:read', resources: [A] },
        ],
      ],
    );
    assert.equal(consentCovers(ports.views, user, 'mcp', ['mcp:read'], [A]), true);
    assert.equal(consentCovers(ports.views, user, 'mcp', ['mcp:read'], [B]), false, 'another resource');
    assert.equal(consentCovers(ports.views, user, 'mcp', ['mcp:read'], [A, B]), false, 'one of them not consented');
    assert.equal(consentCovers(ports.views, user, 'mcp', ['mcp:read'], []), false, 'no specific resource');
  });
});

describe('rememberClientAssertion', () => {
  it('records a jti once (ClientAssertionUsed by hash); the same jti again is a replay: false, nothing written', async () => {
    const head = await ports.head();
    assert.equal(await rememberClientAssertion(ports, 'app', 'jti-1', now + 60, ctx), true);
    const jtiHash = assertionJtiHash('app', 'jti-1');
    assert.deepEqual(
      ports.writtenAfter(head).map((e) => [e.type, e.stream, e.data]),
      [['ClientAssertionUsed', assertionStream(jtiHash), { clientId: 'app', jtiHash, exp: now + 60 }]],
    );
    const after = await ports.head();
    assert.equal(await rememberClientAssertion(ports, 'app', 'jti-1', now + 60, ctx), false);
    assert.equal(await ports.head(), after, 'a replay writes nothing');
    assert.equal(await rememberClientAssertion(ports, 'other', 'jti-1', now + 60, ctx), true, "another client's jti");
  });
});
