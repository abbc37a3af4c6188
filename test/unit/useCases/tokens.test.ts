import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jwtVerify } from 'jose';
import { issueAccessToken } from '../../../src/application/issueAccessToken.js';
import { activeAccessToken } from '../../../src/application/queries/tokens.js';
import { revokeToken } from '../../../src/application/revokeToken.js';
import { NoSigningKeyError } from '../../../src/application/tokens.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { tokenStream } from '../../../src/domain/tokens/streams.js';
import { ISSUER, memoryPorts, T0, testKey, type MemoryPorts } from '../../helpers/memoryPorts.js';
import { ctx, givenClient, refusedWithoutWrite, typed } from './fixtures.js';

const now = T0 / 1000;
let ports: MemoryPorts;
beforeEach(async () => {
  ports = await memoryPorts();
});
afterEach(() => ports.close());

const request = async (changes = {}) => ({
  client: await givenClient(ports, 'svc', changes),
  sub: 'svc',
  scope: 'read',
  aud: [ISSUER],
  grantType: 'client_credentials',
});

describe('issueAccessToken', () => {
  it('given a JWT client, mints an ES256 at+jwt and writes AccessTokenIssued on a token stream, by hash', async () => {
    const req = await request();
    const head = await ports.head();
    const issued = await issueAccessToken(ports, req, ctx);
    const [written] = ports.writtenAfter(head);
    assert.deepEqual(typed(ports.writtenAfter(head)), ['AccessTokenIssued']);
    assert.equal(written.stream, tokenStream(issued.claims.jti));
    assert.deepEqual(written.data, issued.claims);
    assert.deepEqual(written.metadata.actor, ctx.actor);
    const { jti, statusList, ...claims } = issued.claims;
    assert.deepEqual(claims, {
      tokenHash: sha256(issued.token),
      format: 'jwt',
      clientId: 'svc',
      sub: 'svc',
      scope: 'read',
      aud: [ISSUER],
      iat: now,
      exp: now + 3600,
      grantType: 'client_credentials',
      kid: 'test-es256',
      grantId: null,
    });
    assert.ok(statusList, 'a status-list slot');
    assert.equal(issued.expiresIn, 3600);
    const { payload, protectedHeader } = await jwtVerify(issued.token, testKey('ES256').publicKey, {
      currentDate: new Date(T0),
    });
    assert.deepEqual(
      [protectedHeader.typ, protectedHeader.alg, payload.jti, payload.iss],
      ['at+jwt', 'ES256', jti, ISSUER],
    );
    assert.ok(activeAccessToken(ports.views, sha256(issued.token), now), 'the active-token view holds it on return');
  });

  it('caps the lifetime at the server maximum and mints opaque tokens for an opaque client', async () => {
    ports.config.maxTokenLifetimeSeconds = 600;
    const issued = await issueAccessToken(ports, await request({ access_token_format: 'opaque' }), ctx);
    assert.equal(issued.expiresIn, 600);
    assert.equal(issued.claims.exp, now + 600);
    assert.deepEqual([issued.claims.format, issued.claims.kid, issued.claims.statusList], ['opaque', null, undefined]);
    assert.doesNotMatch(issued.token, /^ey/);
  });

  it('without a signing key: temporarily_unavailable, nothing written', async () => {
    const keyless = await memoryPorts({ withKeys: false });
    try {
      const client = await givenClient(keyless, 'svc');
      await refusedWithoutWrite(
        keyless,
        () => issueAccessToken(keyless, { client, sub: 'svc', scope: '', aud: [ISSUER], grantType: 'x' }, ctx),
        { class: NoSigningKeyError, error: 'temporarily_unavailable', message: /no ES256 signing key/ },
      );
    } finally {
      await keyless.close();
    }
  });
});

describe('revokeToken', () => {
  it('revokes a live token once: TokenRevoked with its hash, then nothing more', async () => {
    const issued = await issueAccessToken(ports, await request(), ctx);
    const head = await ports.head();
    assert.equal(await revokeToken(ports, issued.claims.jti, { clientId: 'svc' }, 'asked', ctx), true);
    const written = ports.writtenAfter(head);
    assert.deepEqual(
      written.map((e) => [e.type, e.stream, e.data]),
      [
        [
          'TokenRevoked',
          tokenStream(issued.claims.jti),
          { jti: issued.claims.jti, tokenHash: issued.claims.tokenHash, kind: 'access_token', reason: 'asked' },
        ],
      ],
    );
    assert.equal(activeAccessToken(ports.views, issued.claims.tokenHash, now), undefined, 'gone from the view');
    const after = await ports.head();
    assert.equal(await revokeToken(ports, issued.claims.jti, { operator: 'op' }, 'again', ctx), false);
    assert.equal(await ports.head(), after, 'a second revocation writes nothing');
  });

  it("answers false and writes nothing for an unknown token or another client's (RFC 7009 §2.2)", async () => {
    const issued = await issueAccessToken(ports, await request(), ctx);
    const head = await ports.head();
    assert.equal(await revokeToken(ports, '01900000-0000-7000-8000-00000000dead', { operator: 'op' }, 'x', ctx), false);
    assert.equal(await revokeToken(ports, issued.claims.jti, { clientId: 'other' }, 'x', ctx), false);
    assert.equal(await ports.head(), head);
    assert.ok(activeAccessToken(ports.views, issued.claims.tokenHash, now), 'still active');
  });
});
