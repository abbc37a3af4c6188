import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pushAuthorizationRequest } from '../../src/application/pushAuthorizationRequest.js';
import { usePushedRequest } from '../../src/application/usePushedRequest.js';
import { sha256 } from '../../src/crypto/hash.js';
import { PushedRequestRefused, pushedRequestDecider } from '../../src/domain/pushedRequests/decide.js';
import type { PushedRequestEvent, ValidatedAuthorizationRequest } from '../../src/domain/pushedRequests/events.js';
import { pushedRequestStream } from '../../src/domain/pushedRequests/streams.js';
import { PAR_LIFETIME_SECONDS } from '../../src/oauth/pushedAuthorization.js';
import { deciderSpec } from '../helpers/deciderSpec.js';
import { memoryPorts, T0, type MemoryPorts } from '../helpers/memoryPorts.js';
import { ctx, refusedWithoutWrite, typed } from './useCases/fixtures.js';

const requestId = 'r'.repeat(43);
const request: ValidatedAuthorizationRequest = {
  clientId: 'app',
  redirectUri: 'https://app.example/cb',
  redirectUriSent: true,
  responseMode: 'query',
  state: 'st',
  scope: 'openid read',
  resource: [],
  codeChallenge: 'c'.repeat(43),
  nonce: null,
  prompt: [],
  maxAge: null,
  loginHint: null,
  dpopJkt: 'j'.repeat(43),
};
const pushed: PushedRequestEvent = {
  type: 'PushedAuthorizationRequestReceived',
  data: { requestId, clientId: 'app', exp: 1060, requestObject: false, request },
};
const use = (clientId = 'app', now = 1030) => ({ type: 'UsePushedRequest' as const, requestId, clientId, now });

describe('pushed request decider', () => {
  const { given } = deciderSpec(pushedRequestDecider);
  const refused = (code: string) => (e: unknown) => e instanceof PushedRequestRefused && e.code === code;

  it('given nothing, when pushed, then received', () => {
    given([]).when({ type: 'PushRequest', requestId, exp: 1060, requestObject: false, request }).then([pushed]);
  });
  it('given pushed, when pushed again, then refused (a fault: the id is random)', () => {
    given([pushed])
      .when({ type: 'PushRequest', requestId, exp: 1060, requestObject: false, request })
      .thenThrows(refused('exists'));
  });
  it('given pushed, when its client uses it in time, then used', () => {
    given([pushed])
      .when(use())
      .then([{ type: 'PushedAuthorizationRequestUsed', data: { requestId, clientId: 'app' } }]);
  });
  it('given nothing, when used, then refused as unknown', () => {
    given([]).when(use()).thenThrows(refused('unknown'));
  });
  it('given pushed, when another client uses it, then refused and nothing recorded', () => {
    given([pushed]).when(use('other')).thenThrows(refused('other_client'));
  });
  it('given used, when used again, then refused', () => {
    given([pushed, ...given([pushed]).when(use()).events()])
      .when(use())
      .thenThrows(refused('used'));
  });
  it('given pushed, when used at or after exp, then expired is recorded', () => {
    given([pushed])
      .when(use('app', 1060))
      .then([{ type: 'PushedAuthorizationRequestExpired', data: { requestId, clientId: 'app', exp: 1060 } }]);
  });
  it('given expired, when used, then refused without a second record', () => {
    const expired = given([pushed]).when(use('app', 2000)).events();
    given([pushed, ...expired])
      .when(use('app', 2001))
      .thenThrows(refused('expired'));
  });
  it('every refusal is invalid_request_uri', () => {
    for (const code of ['unknown', 'used', 'expired', 'other_client'] as const)
      assert.equal(new PushedRequestRefused(code, 'x').error, 'invalid_request_uri');
  });
});

describe('pushAuthorizationRequest and usePushedRequest', () => {
  let ports: MemoryPorts;
  beforeEach(async () => {
    ports = await memoryPorts();
  });
  afterEach(() => ports.close());

  it('pushes under a random URN whose hash names the stream, then hands the request back once', async () => {
    const head = await ports.head();
    const { requestUri, expiresIn } = await pushAuthorizationRequest(ports, { request, requestObject: true }, ctx);
    assert.match(requestUri, /^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/);
    assert.equal(expiresIn, PAR_LIFETIME_SECONDS);
    const [received] = ports.writtenAfter(head);
    assert.equal(received.stream, pushedRequestStream(sha256(requestUri)));
    assert.deepEqual(received.data, {
      requestId: sha256(requestUri),
      clientId: 'app',
      exp: T0 / 1000 + 60,
      requestObject: true,
      request,
    });
    const used = await usePushedRequest(ports, requestUri, 'app', ctx);
    assert.deepEqual(used, { request, requestId: sha256(requestUri), requestObject: true });
    await refusedWithoutWrite(ports, () => usePushedRequest(ports, requestUri, 'app', ctx), {
      class: PushedRequestRefused,
      code: 'used',
    });
  });

  it('another client, an unknown URI: refused, nothing written', async () => {
    const { requestUri } = await pushAuthorizationRequest(ports, { request, requestObject: false }, ctx);
    await refusedWithoutWrite(ports, () => usePushedRequest(ports, requestUri, 'other', ctx), {
      class: PushedRequestRefused,
      code: 'other_client',
    });
    await refusedWithoutWrite(ports, () => usePushedRequest(ports, `${requestUri}x`, 'app', ctx), {
      class: PushedRequestRefused,
      code: 'unknown',
    });
    // Still usable by its own client.
    assert.equal((await usePushedRequest(ports, requestUri, 'app', ctx)).request.clientId, 'app');
  });

  it('expired: refused, and the expiry recorded once', async () => {
    const { requestUri } = await pushAuthorizationRequest(ports, { request, requestObject: false }, ctx);
    ports.now += PAR_LIFETIME_SECONDS * 1000;
    const head = await ports.head();
    await assert.rejects(
      () => usePushedRequest(ports, requestUri, 'app', ctx),
      (e) => e instanceof PushedRequestRefused && e.code === 'expired',
    );
    assert.deepEqual(typed(ports.writtenAfter(head)), ['PushedAuthorizationRequestExpired']);
    await refusedWithoutWrite(ports, () => usePushedRequest(ports, requestUri, 'app', ctx), {
      class: PushedRequestRefused,
      code: 'expired',
    });
  });
});
