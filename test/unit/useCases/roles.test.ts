import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import {
  CONSOLE_CLIENT_ID,
  consoleClientMetadata,
  ensureConsoleClient,
} from '../../../src/application/consoleClient.js';
import { readGrant } from '../../../src/application/grantIssuance.js';
import { exchangeToken } from '../../../src/application/exchangeToken.js';
import { TOKEN_EXCHANGE_GRANT } from '../../../src/domain/clients/events.js';
import { TOKEN_TYPES } from '../../../src/domain/exchange/decide.js';
import { refreshTokenByHash } from '../../../src/application/queries/authorization.js';
import { clientById } from '../../../src/application/queries/clients.js';
import { redeemAuthorizationCode } from '../../../src/application/redeemCode.js';
import { registerUser } from '../../../src/application/registerUser.js';
import { grantRole, revokeRole } from '../../../src/application/roles.js';
import { rotateRefreshToken } from '../../../src/application/rotateRefreshToken.js';
import { sha256 } from '../../../src/crypto/hash.js';
import type { ClientState } from '../../../src/domain/clients/state.js';
import { UserCommandError } from '../../../src/domain/users/decide.js';
import { userStream } from '../../../src/domain/users/streams.js';
import { memoryPorts, T0, ISSUER, type MemoryPorts } from '../../helpers/memoryPorts.js';
import { ctx, givenClient, givenCode, givenUser, refusedWithoutWrite, typed } from './fixtures.js';

const now = T0 / 1000;
const because = (reason: string) => ({ ...ctx, reason });
let ports: MemoryPorts;
beforeEach(async () => {
  ports = await memoryPorts();
});
afterEach(() => ports.close());

describe('grantRole and revokeRole', () => {
  it('records the change on the user stream with the reason; the users view knows the roles at once', async () => {
    const sub = await givenUser(ports);
    const head = await ports.head();
    const user = await grantRole(ports, sub, 'ledger:audit', because('  audits Q3  '));
    assert.deepEqual(user.roles, ['ledger:audit']);
    const [written] = ports.writtenAfter(head);
    assert.deepEqual(
      [written.type, written.stream, written.data],
      ['RoleGranted', userStream(sub), { sub, role: 'ledger:audit' }],
    );
    assert.equal(written.metadata.reason, 'audits Q3');
    assert.deepEqual((await revokeRole(ports, sub, 'ledger:audit', because('done'))).roles, []);
    assert.deepEqual(typed(ports.writtenAfter(head)), ['RoleGranted', 'RoleRevoked']);
  });

  it('held already, or not held: nothing written, the user answered as they are', async () => {
    const sub = await givenUser(ports);
    await grantRole(ports, sub, 'ledger:admin', because('on call'));
    const head = await ports.head();
    assert.deepEqual((await grantRole(ports, sub, 'ledger:admin', because('again'))).roles, ['ledger:admin']);
    assert.deepEqual((await revokeRole(ports, sub, 'ledger:audit', because('not held'))).roles, ['ledger:admin']);
    assert.equal(await ports.head(), head);
  });

  it('refuses an unknown role, an empty or long reason, an unknown user; nothing written', async () => {
    const sub = await givenUser(ports);
    for (const [run, code] of [
      [() => grantRole(ports, sub, 'ledger:owner', because('x')), 'unknown_role'],
      [() => revokeRole(ports, sub, 'owner', because('x')), 'unknown_role'],
      [() => grantRole(ports, sub, 'ledger:audit', because('   ')), 'invalid_reason'],
      [() => grantRole(ports, sub, 'ledger:audit', because('x'.repeat(201))), 'invalid_reason'],
      [() => grantRole(ports, '01900000-0000-7000-8000-00000000dead', 'ledger:audit', because('x')), 'user_not_found'],
    ] as const)
      await refusedWithoutWrite(ports, run, { class: UserCommandError, code, error: 'invalid_request' });
  });

  it('registerUser with roles: the username claim, then the registration and its roles in one append', async () => {
    const head = await ports.head();
    const u = await registerUser(
      ports,
      { username: 'olivia', password: 'a long password', roles: ['ledger:admin'] },
      ctx,
    );
    assert.deepEqual(u.roles, ['ledger:admin']);
    const written = ports.writtenAfter(head);
    assert.deepEqual(typed(written), ['UsernameClaimed', 'UserRegistered', 'RoleGranted']);
    assert.equal(written[2].position, written[1].position + 1n);
    await refusedWithoutWrite(
      ports,
      () => registerUser(ports, { username: 'mallory', password: 'a long password', roles: ['root'] }, ctx),
      { class: UserCommandError, code: 'unknown_role' },
    );
  });
});

describe("a person's tokens carry the ledger:* scopes of the roles held at each issuance", () => {
  let client: ClientState;
  let sub: string;
  beforeEach(async () => {
    client = await givenClient(ports, 'console-like', { scope: 'openid read ledger:admin ledger:audit' });
    sub = await givenUser(ports);
  });

  async function redeem(scope: string) {
    const { code, grantId } = await givenCode(ports, client, { sub, authTime: now - 5, sid: 'sid-1' }, { scope });
    const issued = (await readGrant(ports, grantId)).code!;
    return redeemAuthorizationCode(
      ports,
      { grantId, code, client, redirectUri: undefined, codeVerifier: undefined, issued, resource: [] },
      ctx,
    );
  }
  const rotate = (refreshToken: string, scope?: string) => {
    const held = refreshTokenByHash(ports.views, sha256(refreshToken))!;
    return rotateRefreshToken(ports, { grantId: held.grantId, jti: held.jti, client, scope, held, resource: [] }, ctx);
  };

  it('redeeming a code: the roles held now; the ID token names them', async () => {
    await grantRole(ports, sub, 'ledger:audit', because('reads'));
    const tokens = await redeem('openid read ledger:admin ledger:audit');
    assert.equal(tokens.grant.scope, 'openid read ledger:audit');
    assert.equal(tokens.access.claims.scope, 'openid read ledger:audit');
    assert.deepEqual(decodeJwt(tokens.idToken!).roles, ['ledger:audit']);
    assert.equal(refreshTokenByHash(ports.views, sha256(tokens.refreshToken!))!.scope, 'openid read ledger:audit');
  });

  it('a role revoked after the code was issued is not in the tokens the code gives', async () => {
    await grantRole(ports, sub, 'ledger:admin', because('on call'));
    const { code, grantId } = await givenCode(
      ports,
      client,
      { sub, authTime: now, sid: 's' },
      { scope: 'openid ledger:admin' },
    );
    await revokeRole(ports, sub, 'ledger:admin', because('off call'));
    const issued = (await readGrant(ports, grantId)).code!;
    const tokens = await redeemAuthorizationCode(
      ports,
      { grantId, code, client, redirectUri: undefined, codeVerifier: undefined, issued, resource: [] },
      ctx,
    );
    assert.equal(tokens.access.claims.scope, 'openid');
    assert.equal(decodeJwt(tokens.idToken!).roles, undefined);
  });

  it('a refresh after the role was revoked drops its scope; granted again, the next refresh has it back', async () => {
    await grantRole(ports, sub, 'ledger:admin', because('on call'));
    const first = await redeem('openid ledger:admin');
    assert.equal(first.access.claims.scope, 'openid ledger:admin');
    await revokeRole(ports, sub, 'ledger:admin', because('off call'));
    const second = await rotate(first.refreshToken!);
    assert.equal(second.access.claims.scope, 'openid');
    assert.equal(second.grant.scope, 'openid');
    assert.equal(decodeJwt(second.idToken!).roles, undefined);
    // Asking for it by name changes nothing: narrowed, not refused (RFC 6749 §3.3).
    const third = await rotate(second.refreshToken!, 'openid ledger:admin');
    assert.equal(third.access.claims.scope, 'openid');
    await grantRole(ports, sub, 'ledger:admin', because('back'));
    const fourth = await rotate(third.refreshToken!);
    assert.equal(fourth.access.claims.scope, 'openid ledger:admin');
  });
});

describe('a token exchange whose subject is a person', () => {
  it('keeps a ledger:* scope only while the person holds the role', async () => {
    const app = await givenClient(ports, 'console-like', { scope: 'openid ledger:admin' });
    const gateway = await givenClient(ports, 'gateway', {
      grant_types: [TOKEN_EXCHANGE_GRANT, 'client_credentials'],
      token_exchange_impersonation: true,
      token_exchange_audiences: ['https://api.example/ops'],
      token_exchange_scope: 'openid ledger:admin',
    });
    const sub = await givenUser(ports);
    await grantRole(ports, sub, 'ledger:admin', because('on call'));
    const { code, grantId } = await givenCode(
      ports,
      app,
      { sub, authTime: now, sid: 's' },
      { scope: 'openid ledger:admin' },
    );
    const issued = (await readGrant(ports, grantId)).code!;
    const tokens = await redeemAuthorizationCode(
      ports,
      { grantId, code, client: app, redirectUri: undefined, codeVerifier: undefined, issued, resource: [] },
      ctx,
    );
    const exchange = () =>
      exchangeToken(
        ports,
        {
          client: gateway,
          subject: { token: tokens.access.token, type: TOKEN_TYPES.access_token },
          actor: null,
          targets: ['https://api.example/ops'],
          scope: undefined,
          requestedTokenType: 'access_token',
        },
        ctx,
      );
    assert.equal((await exchange()).scope, 'openid ledger:admin');
    await revokeRole(ports, sub, 'ledger:admin', because('off call'));
    const narrowed = await exchange();
    assert.equal(narrowed.scope, 'openid');
    assert.equal(narrowed.issued.claims.scope, 'openid');
  });
});

describe('ensureConsoleClient', () => {
  it('registers the console client once; again writes nothing; a new issuer updates its redirect URIs', async () => {
    const head = await ports.head();
    const c = await ensureConsoleClient(ports);
    assert.equal(c.clientId, CONSOLE_CLIENT_ID);
    assert.deepEqual(c.metadata, consoleClientMetadata(ISSUER));
    assert.equal(c.secret, null);
    const written = ports.writtenAfter(head);
    assert.deepEqual(typed(written), ['ClientRegistered']);
    assert.equal(written[0].metadata.actor, 'system');
    const after = await ports.head();
    await ensureConsoleClient(ports);
    assert.equal(await ports.head(), after);
    const moved = { ...ports, config: { ...ports.config, issuer: 'https://login.example' } };
    await ensureConsoleClient(moved);
    assert.deepEqual(typed(ports.writtenAfter(after)), ['ClientUpdated']);
    assert.deepEqual(clientById(ports.views, CONSOLE_CLIENT_ID)!.metadata.redirect_uris, [
      'https://login.example/console/callback',
    ]);
  });
});
