import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { exchangeToken, type TokenExchangeRequest } from '../../../src/application/exchangeToken.js';
import { readGrant, type GrantTokens } from '../../../src/application/grantIssuance.js';
import { issueAccessToken } from '../../../src/application/issueAccessToken.js';
import { introspect } from '../../../src/application/queries/introspection.js';
import { exchangeEnded } from '../../../src/application/queries/tokenExchange.js';
import { redeemAuthorizationCode } from '../../../src/application/redeemCode.js';
import { registerClient } from '../../../src/application/registerClient.js';
import { revokeGrant } from '../../../src/application/revokeGrant.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { TOKEN_EXCHANGE_GRANT } from '../../../src/domain/clients/events.js';
import { ClientMetadataError } from '../../../src/domain/clients/metadataRules.js';
import type { ClientState } from '../../../src/domain/clients/state.js';
import { clientStream } from '../../../src/domain/clients/streams.js';
import { ExchangeError, TOKEN_TYPES } from '../../../src/domain/exchange/decide.js';
import { grantStream } from '../../../src/domain/grants/streams.js';
import { tokenDecider } from '../../../src/domain/tokens/decide.js';
import type { AccessTokenIssuedEvent } from '../../../src/domain/tokens/events.js';
import { tokenStream } from '../../../src/domain/tokens/streams.js';
import { userStream } from '../../../src/domain/users/streams.js';
import { deciderSpec } from '../../helpers/deciderSpec.js';
import { memoryPorts, T0, type MemoryPorts } from '../../helpers/memoryPorts.js';
import { ctx, givenClient, givenCode, givenUser, refusedWithoutWrite, typed } from './fixtures.js';

const ORDERS = 'https://api.example/orders';
const now = T0 / 1000;
let ports: MemoryPorts;
let app: ClientState;
let x: ClientState;
let sub: string;

beforeEach(async () => {
  ports = await memoryPorts();
  app = await givenClient(ports);
  x = await givenClient(ports, 'x', {
    grant_types: [TOKEN_EXCHANGE_GRANT, 'client_credentials'],
    token_exchange_audiences: [ORDERS],
    token_exchange_impersonation: true,
    access_token_ttl: 7200,
  });
  sub = await givenUser(ports);
});
afterEach(() => ports.close());

/** A grant of `app` redeemed for `openid read write`: an access token and an ID token for the user. */
async function givenGrant(): Promise<GrantTokens> {
  const { code, grantId } = await givenCode(
    ports,
    app,
    { sub, authTime: now - 5, sid: 'sid-1' },
    { scope: 'openid read write' },
  );
  const issued = (await readGrant(ports, grantId)).code!;
  return redeemAuthorizationCode(
    ports,
    { grantId, code, client: app, redirectUri: undefined, codeVerifier: undefined, issued, resource: [] },
    ctx,
  );
}

const request = (subject: string, type: string, more: Partial<TokenExchangeRequest> = {}): TokenExchangeRequest => ({
  client: x,
  subject: { token: subject, type },
  actor: null,
  targets: [],
  scope: undefined,
  requestedTokenType: 'access_token',
  ...more,
});

const actorToken = async () =>
  (
    await issueAccessToken(
      ports,
      { client: x, sub: 'x', scope: '', aud: ['https://issuer.example'], grantType: 'client_credentials' },
      ctx,
    )
  ).token;

const claimsOf = async (jti: string) =>
  ((await ports.store.readStream(tokenStream(jti)))[0] as unknown as AccessTokenIssuedEvent).data;

describe('token exchange (use case, in-memory ports)', () => {
  it('exchanges an ID token: the user as subject, within the grant’s scope, derived from the ID token and its grant', async () => {
    const grant = await givenGrant();
    const out = await exchangeToken(ports, request(grant.idToken!, TOKEN_TYPES.id_token), ctx);
    const claims = await claimsOf(out.issued.claims.jti);
    assert.equal(claims.sub, sub);
    assert.equal(claims.scope, 'openid read write');
    assert.deepEqual(claims.aud, [ORDERS]);
    assert.equal(claims.derivedFrom?.tokenType, 'id_token');
    assert.equal(claims.derivedFrom?.grantId, grant.grant.grantId);
    assert.equal(claims.derivedFrom?.jti, decodeJwt(grant.idToken!).jti);
  });

  it('never outlives the subject token, and carries act for delegation', async () => {
    const grant = await givenGrant();
    const out = await exchangeToken(
      ports,
      request(grant.access.token, TOKEN_TYPES.access_token, {
        actor: { token: await actorToken(), type: TOKEN_TYPES.access_token },
      }),
      ctx,
    );
    assert.equal(out.issued.claims.exp, grant.access.claims.exp);
    assert.equal(out.issued.expiresIn, 3600);
    assert.deepEqual(out.issued.claims.act, { sub: 'x' });
    const answer = introspect(ports.views, sha256(out.issued.token), now, x, 'https://issuer.example');
    assert.deepEqual(answer.act, { sub: 'x' });
  });

  it('refuses an expired subject token with invalid_grant, writing nothing', async () => {
    const grant = await givenGrant();
    ports.now = T0 + 3601_000;
    await refusedWithoutWrite(
      ports,
      () => exchangeToken(ports, request(grant.access.token, TOKEN_TYPES.access_token), ctx),
      {
        class: ExchangeError,
        error: 'invalid_grant',
      },
    );
  });

  it('revoking the grant ends what was exchanged from its access and ID tokens, with records caused by it', async () => {
    const grant = await givenGrant();
    const fromAccess = await exchangeToken(ports, request(grant.access.token, TOKEN_TYPES.access_token), ctx);
    const fromId = await exchangeToken(ports, request(grant.idToken!, TOKEN_TYPES.id_token), ctx);
    const second = await exchangeToken(ports, request(fromAccess.issued.token, TOKEN_TYPES.access_token), ctx);
    await revokeGrant(ports, grant.grant.grantId, 'operator said so', ctx);
    const [revoked] = (await ports.store.readStream(grantStream(grant.grant.grantId))).filter(
      (e) => e.type === 'GrantRevoked',
    );
    for (const t of [fromAccess, fromId, second]) {
      assert.equal(exchangeEnded(ports.views, sha256(t.issued.token)), true);
      const events = await ports.store.readStream(tokenStream(t.issued.claims.jti));
      assert.deepEqual(typed(events), ['AccessTokenIssued', 'TokenRevoked']);
      assert.equal(events[1].metadata?.causationId, revoked.id);
    }
    await refusedWithoutWrite(ports, () => exchangeToken(ports, request(grant.idToken!, TOKEN_TYPES.id_token), ctx), {
      class: ExchangeError,
      error: 'invalid_grant',
    });
  });

  it('the views end exchanged tokens on UserDisabled and on ClientDisabled of a client in the chain, without records', async () => {
    const grant = await givenGrant();
    const a = await exchangeToken(ports, request(grant.access.token, TOKEN_TYPES.access_token), ctx);
    await ports.given(userStream(sub), [{ type: 'UserDisabled', data: { sub } }]);
    assert.equal(exchangeEnded(ports.views, sha256(a.issued.token)), true);
    const svc = await issueAccessToken(
      ports,
      { client: app, sub: 'app', scope: 'read', aud: ['https://issuer.example'], grantType: 'client_credentials' },
      ctx,
    );
    const b = await exchangeToken(ports, request(svc.token, TOKEN_TYPES.access_token), ctx);
    await ports.given(clientStream('app'), [{ type: 'ClientDisabled', data: { clientId: 'app' } }]);
    assert.equal(exchangeEnded(ports.views, sha256(b.issued.token)), true);
    assert.equal(introspect(ports.views, sha256(b.issued.token), now, x, 'https://issuer.example').active, false);
  });

  it('another instance over the same ledger ends the chain when the first token’s revocation arrives', async () => {
    const other = await memoryPorts({ store: ports.store });
    try {
      const grant = await givenGrant();
      const a = await exchangeToken(ports, request(grant.access.token, TOKEN_TYPES.access_token), ctx);
      const b = await exchangeToken(ports, request(a.issued.token, TOKEN_TYPES.access_token), ctx);
      await other.runner.waitFor(await ports.head());
      assert.equal(exchangeEnded(other.views, sha256(b.issued.token)), false);
      const { jti, tokenHash } = grant.access.claims;
      await ports.given(grantStream(grant.grant.grantId), [
        { type: 'TokenRevoked', data: { jti, tokenHash, kind: 'access_token', reason: 'elsewhere' } },
      ]);
      await other.runner.waitFor(await ports.head());
      assert.equal(exchangeEnded(other.views, sha256(a.issued.token)), true);
      assert.equal(exchangeEnded(other.views, sha256(b.issued.token)), true);
    } finally {
      await other.close();
    }
  });

  it('a token exchanged from one already revoked (a revocation that won the race) is ended from the start', async () => {
    const grant = await givenGrant();
    const a = await exchangeToken(ports, request(grant.access.token, TOKEN_TYPES.access_token), ctx);
    const child = { ...a.issued.claims, jti: 'late', tokenHash: sha256('late') };
    child.derivedFrom = {
      ...child.derivedFrom!,
      jti: a.issued.claims.jti,
      tokenHash: sha256(a.issued.token),
      depth: 2,
    };
    await ports.given(tokenStream(a.issued.claims.jti), [
      {
        type: 'TokenRevoked',
        data: { jti: a.issued.claims.jti, tokenHash: sha256(a.issued.token), kind: 'access_token', reason: 'r' },
      },
    ]);
    await ports.given(tokenStream('late'), [{ type: 'AccessTokenIssued', data: child }]);
    assert.equal(exchangeEnded(ports.views, sha256('late')), true);
    await ports.settleHistory();
    assert.equal(introspect(ports.views, sha256('late'), now, x, 'https://issuer.example').active, false);
    // The same for a token exchanged from the grant's own access token, revoked just before.
    const { jti, tokenHash } = grant.access.claims;
    await ports.given(grantStream(grant.grant.grantId), [
      { type: 'TokenRevoked', data: { jti, tokenHash, kind: 'access_token', reason: 'r' } },
    ]);
    const raced = {
      ...child,
      jti: 'raced',
      tokenHash: sha256('raced'),
      derivedFrom: { ...child.derivedFrom, jti, tokenHash, depth: 1 },
    };
    await ports.given(tokenStream('raced'), [{ type: 'AccessTokenIssued', data: raced }]);
    assert.equal(exchangeEnded(ports.views, sha256('raced')), true);
  });

  it('registration: token exchange needs client authentication and at least one audience', async () => {
    const register = (changes: Record<string, unknown>) =>
      registerClient(ports, { changes: { grant_types: [TOKEN_EXCHANGE_GRANT], ...changes } }, ctx);
    await refusedWithoutWrite(
      ports,
      () => register({ token_endpoint_auth_method: 'none', token_exchange_audiences: [ORDERS] }),
      { class: ClientMetadataError, error: 'invalid_client_metadata', message: /public client/ },
    );
    await refusedWithoutWrite(ports, () => register({}), {
      class: ClientMetadataError,
      error: 'invalid_client_metadata',
      message: /token_exchange_audiences/,
    });
    const { client } = await register({ token_exchange_audiences: [ORDERS] });
    assert.equal(client.metadata.token_exchange_impersonation, undefined, 'delegation only unless registered');
  });
});

describe('token decider: an exchanged token on its own stream', () => {
  const derived: AccessTokenIssuedEvent = {
    type: 'AccessTokenIssued',
    data: {
      jti: 't1',
      tokenHash: 'h'.repeat(43),
      format: 'jwt',
      clientId: 'x',
      sub: 'alice',
      scope: 'read',
      aud: [ORDERS],
      iat: now,
      exp: now + 60,
      grantType: TOKEN_EXCHANGE_GRANT,
      kid: 'k',
      grantId: null,
      derivedFrom: {
        jti: 't0',
        tokenHash: 'g'.repeat(43),
        tokenType: 'access_token',
        clientId: 'app',
        grantId: 'g1',
        depth: 1,
      },
      act: { sub: 'x' },
    },
  };

  it('records the issuance with what it was derived from and its act', () => {
    deciderSpec(tokenDecider).given([]).when({ type: 'IssueAccessToken', token: derived.data }).then([derived]);
  });

  it('revokes it once, as the cascade asks; a second revocation writes nothing', () => {
    const revoke = {
      type: 'RevokeToken' as const,
      jti: 't1',
      requestedBy: { operator: 'operator:test' },
      reason: 'the token it was exchanged from was revoked',
    };
    const revoked = {
      type: 'TokenRevoked' as const,
      data: { jti: 't1', tokenHash: 'h'.repeat(43), kind: 'access_token' as const, reason: revoke.reason },
    };
    deciderSpec(tokenDecider).given([derived]).when(revoke).then([revoked]);
    deciderSpec(tokenDecider).given([derived, revoked]).when(revoke).then([]);
  });
});
