import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readGrant } from '../../../src/application/grantIssuance.js';
import { issueAccessToken } from '../../../src/application/issueAccessToken.js';
import { redeemAuthorizationCode } from '../../../src/application/redeemCode.js';
import { revokeAllFor } from '../../../src/application/revokeAllFor.js';
import { startSession } from '../../../src/application/startSession.js';
import { sha256 } from '../../../src/crypto/hash.js';
import type { ClientState } from '../../../src/domain/clients/state.js';
import { grantStream } from '../../../src/domain/grants/streams.js';
import { sessionStream } from '../../../src/domain/sessions/streams.js';
import { tokenStream } from '../../../src/domain/tokens/streams.js';
import { ISSUER, memoryPorts, T0, type MemoryPorts } from '../../helpers/memoryPorts.js';
import { ctx, givenClient, givenCode, givenUser } from './fixtures.js';

const now = T0 / 1000;
let ports: MemoryPorts;
let app: ClientState;
let sub: string;
beforeEach(async () => {
  ports = await memoryPorts();
  app = await givenClient(ports);
  sub = await givenUser(ports);
});
afterEach(() => ports.close());

async function code(client: ClientState, user: string) {
  return givenCode(ports, client, { sub: user, authTime: now, sid: null });
}

/** A grant with tokens, one whose code is still outstanding, one whose code expired unused. */
async function givenHoldings(client: ClientState, user: string) {
  const stale = await code(client, user);
  ports.now = T0 + 120_000;
  const redeemed = await code(client, user);
  const issued = (await readGrant(ports, redeemed.grantId)).code!;
  await redeemAuthorizationCode(
    ports,
    { ...redeemed, client, redirectUri: undefined, codeVerifier: undefined, issued, resource: [] },
    ctx,
  );
  const outstanding = await code(client, user);
  return { stale: stale.grantId, redeemed: redeemed.grantId, outstanding: outstanding.grantId };
}

const caused = { ...ctx, actor: 'operator:alice', causationId: '01900000-0000-7000-8000-00000000cafe' };

describe('revokeAllFor', () => {
  it('a subject: every live grant (also one with an outstanding code) and session ends, caused by the command', async () => {
    const mine = await givenHoldings(app, sub);
    const { sid } = await startSession(ports, sub, ['pwd'], ctx);
    const bob = await givenUser(ports, 'bob');
    const theirs = await code(app, bob);
    const head = await ports.head();
    const live = await revokeAllFor(ports, { subject: sub }, 'user disabled', caused);
    assert.equal(live, 2, 'the access and the refresh token were live');
    const written = ports.writtenAfter(head);
    assert.deepEqual(
      written.map((e) => [e.type, e.stream, e.data]),
      [
        ['GrantRevoked', grantStream(mine.redeemed), { grantId: mine.redeemed, reason: 'user disabled' }],
        ['GrantRevoked', grantStream(mine.outstanding), { grantId: mine.outstanding, reason: 'user disabled' }],
        ['SessionEnded', sessionStream(sha256(sid)), { sidHash: sha256(sid), reason: 'user disabled' }],
      ],
    );
    assert.ok(
      written.every((e) => e.metadata.actor === 'operator:alice' && e.metadata.causationId === caused.causationId),
    );
    assert.ok(!written.some((e) => e.stream === grantStream(theirs.grantId)), "another user's grant stays");
    const after = await ports.head();
    assert.equal(await revokeAllFor(ports, { subject: sub }, 'again', caused), 0);
    assert.equal(await ports.head(), after, 'nothing left to end: nothing written');
  });

  it('a subject without ending sessions (an operator revoking tokens only)', async () => {
    await givenHoldings(app, sub);
    const { sid } = await startSession(ports, sub, ['pwd'], ctx);
    const head = await ports.head();
    await revokeAllFor(ports, { subject: sub }, 'tokens only', caused, { endSessions: false });
    assert.ok(!ports.writtenAfter(head).some((e) => e.stream === sessionStream(sha256(sid))));
  });

  it("a client: its grants and its client_credentials tokens (TokenRevoked by the operator), not the users' sessions", async () => {
    const svc = await givenClient(ports, 'svc');
    const mine = await givenHoldings(svc, sub);
    const other = await code(app, sub);
    const token = await issueAccessToken(
      ports,
      { client: svc, sub: 'svc', scope: '', aud: [ISSUER], grantType: 'client_credentials' },
      ctx,
    );
    await startSession(ports, sub, ['pwd'], ctx);
    const head = await ports.head();
    assert.equal(await revokeAllFor(ports, { clientId: 'svc' }, 'client disabled', caused), 3);
    assert.deepEqual(
      ports.writtenAfter(head).map((e) => [e.type, e.stream]),
      [
        ['GrantRevoked', grantStream(mine.redeemed)],
        ['GrantRevoked', grantStream(mine.outstanding)],
        ['TokenRevoked', tokenStream(token.claims.jti)],
      ],
    );
    assert.ok(!ports.writtenAfter(head).some((e) => e.stream === grantStream(other.grantId)));
  });
});
