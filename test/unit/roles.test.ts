import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideUser, UserCommandError, type UserCommand } from '../../src/domain/users/decide.js';
import type { PasswordHash, UserEvent, WrittenUserEvent } from '../../src/domain/users/events.js';
import { evolveUser } from '../../src/domain/users/evolve.js';
import { rolesInScope, scopeForPerson } from '../../src/domain/users/roles.js';
import type { UserStreamState } from '../../src/domain/users/state.js';
import { decideBuiltInClient } from '../../src/domain/clients/builtIn.js';
import { ClientMetadataError } from '../../src/domain/clients/metadataRules.js';
import type { ClientEvent } from '../../src/domain/clients/events.js';
import { evolveClient } from '../../src/domain/clients/evolve.js';
import { consoleClientMetadata, CONSOLE_CLIENT_ID } from '../../src/application/consoleClient.js';
import { deciderSpec } from '../helpers/deciderSpec.js';

const hash: PasswordHash = { alg: 'scrypt', salt: 's'.repeat(22), hash: 'h'.repeat(43), N: 1024, r: 8, p: 1 };
const sub = '01900000-0000-7000-8000-000000000001';
const usernameKey = 'k'.repeat(64);
const pii = 'eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn';

const { given } = deciderSpec<UserCommand, UserStreamState, UserEvent | WrittenUserEvent>({
  initialState: () => undefined,
  evolve: (state, e) => evolveUser(state, e as UserEvent),
  decide: decideUser,
});
const registered: UserEvent = {
  type: 'UserRegistered',
  data: { sub, usernameKey, username: 'olivia', emailVerified: false, passwordHash: hash },
};
const granted = (role: 'ledger:admin' | 'ledger:audit'): UserEvent => ({ type: 'RoleGranted', data: { sub, role } });
const revoked = (role: 'ledger:admin' | 'ledger:audit'): UserEvent => ({ type: 'RoleRevoked', data: { sub, role } });
const code = (c: string) => (e: unknown) =>
  e instanceof UserCommandError && e.code === c && e.error === 'invalid_request';

describe('user decider: operator roles', () => {
  it('grants a role not held', () => {
    given([registered])
      .when({ type: 'GrantRole', sub, role: 'ledger:admin' })
      .then([{ type: 'RoleGranted', data: { sub, role: 'ledger:admin' } }]);
  });
  it('granting a role held writes nothing; so does revoking one not held', () => {
    given([registered, granted('ledger:audit')])
      .when({ type: 'GrantRole', sub, role: 'ledger:audit' })
      .then([]);
    given([registered, granted('ledger:audit')])
      .when({ type: 'RevokeRole', sub, role: 'ledger:admin' })
      .then([]);
    given([registered, granted('ledger:admin'), revoked('ledger:admin')])
      .when({ type: 'RevokeRole', sub, role: 'ledger:admin' })
      .then([]);
  });
  it('revokes a role held', () => {
    given([registered, granted('ledger:admin'), granted('ledger:audit')])
      .when({ type: 'RevokeRole', sub, role: 'ledger:admin' })
      .then([{ type: 'RoleRevoked', data: { sub, role: 'ledger:admin' } }]);
  });
  it('refuses an unknown role (unknown_role, invalid_request), whether granted, revoked or registered with', () => {
    for (const role of ['ledger:root', 'admin', 'LEDGER:ADMIN', '', 'ledger:admin ']) {
      given([registered]).when({ type: 'GrantRole', sub, role }).thenThrows(code('unknown_role'));
      given([registered]).when({ type: 'RevokeRole', sub, role }).thenThrows(code('unknown_role'));
    }
    const register: UserCommand = {
      type: 'RegisterUser',
      sub,
      usernameKey,
      pii,
      emailVerified: false,
      passwordHash: hash,
      roles: ['ledger:audit', 'root'],
    };
    given([]).when(register).thenThrows(code('unknown_role'));
  });
  it('refuses granting to a disabled user (user_disabled) and to an erased one (user_erased)', () => {
    const disabled: UserEvent = { type: 'UserDisabled', data: { sub } };
    given([registered, disabled])
      .when({ type: 'GrantRole', sub, role: 'ledger:audit' })
      .thenThrows((e) => e instanceof UserCommandError && e.code === 'user_disabled' && e.error === 'access_denied');
    given([registered, disabled, { type: 'UserErased', data: { sub } }])
      .when({ type: 'GrantRole', sub, role: 'ledger:audit' })
      .thenThrows(code('user_erased'));
    given([]).when({ type: 'GrantRole', sub, role: 'ledger:audit' }).thenThrows(code('user_not_found'));
  });
  it('a disabled user can still have a role taken away', () => {
    given([registered, granted('ledger:admin'), { type: 'UserDisabled', data: { sub } }])
      .when({ type: 'RevokeRole', sub, role: 'ledger:admin' })
      .then([{ type: 'RoleRevoked', data: { sub, role: 'ledger:admin' } }]);
  });
  it('registers with roles in the same decision (one append), each once', () => {
    given([])
      .when({
        type: 'RegisterUser',
        sub,
        usernameKey,
        pii,
        emailVerified: false,
        passwordHash: hash,
        roles: ['ledger:audit', 'ledger:admin', 'ledger:audit'],
      })
      .then([
        { type: 'UserRegistered', data: { sub, usernameKey, pii, emailVerified: false, passwordHash: hash } },
        { type: 'RoleGranted', data: { sub, role: 'ledger:audit' } },
        { type: 'RoleGranted', data: { sub, role: 'ledger:admin' } },
      ]);
  });
  it('the state knows the roles held, sorted; erasure leaves none; updatedAt (a profile time) stays', () => {
    let s = evolveUser(undefined, registered, 1000);
    s = evolveUser(s, granted('ledger:audit'), 2000);
    s = evolveUser(s, granted('ledger:admin'), 3000);
    assert.deepEqual(s!.roles, ['ledger:admin', 'ledger:audit']);
    assert.equal(s!.updatedAt, 1000);
    s = evolveUser(s, revoked('ledger:audit'), 4000);
    assert.deepEqual(s!.roles, ['ledger:admin']);
    s = evolveUser(s, { type: 'UserDisabled', data: { sub } }, 5000);
    s = evolveUser(s, { type: 'UserErased', data: { sub } }, 6000);
    assert.deepEqual(s!.roles, []);
  });
});

describe("a person's scope", () => {
  it('keeps each ledger:* scope only for a role held, everything else as asked, in order', () => {
    const asked = 'openid profile ledger:admin ledger:audit orders:read';
    assert.equal(scopeForPerson(asked, []), 'openid profile orders:read');
    assert.equal(scopeForPerson(asked, ['ledger:audit']), 'openid profile ledger:audit orders:read');
    assert.equal(scopeForPerson(asked, ['ledger:admin', 'ledger:audit']), asked);
    assert.equal(scopeForPerson('ledger:admin', ['ledger:audit']), '');
    assert.equal(scopeForPerson('ledger:anything openid', ['ledger:admin']), 'openid', 'a ledger scope no role has');
  });
  it('the roles claim: the operator roles among the granted scope', () => {
    assert.deepEqual(rolesInScope('openid ledger:audit ledger:admin'), ['ledger:admin', 'ledger:audit']);
    assert.deepEqual(rolesInScope('openid profile'), []);
  });
});

describe('the built-in console client', () => {
  const metadata = consoleClientMetadata('https://id.example');
  const ensure = { type: 'EnsureBuiltInClient' as const, clientId: CONSOLE_CLIENT_ID, metadata };
  const fold = (events: ClientEvent[]) => events.reduce(evolveClient, undefined as ReturnType<typeof evolveClient>);
  const registeredClient: ClientEvent = {
    type: 'ClientRegistered',
    data: { clientId: CONSOLE_CLIENT_ID, metadata, secret: null },
  };

  it('is registered when absent: public, code + PKCE, exact redirect URIs under the issuer', () => {
    assert.deepEqual(decideBuiltInClient(ensure, undefined, {}), [registeredClient]);
    assert.deepEqual(metadata.redirect_uris, ['https://id.example/console/callback']);
    assert.deepEqual(metadata.post_logout_redirect_uris, ['https://id.example/console/']);
    assert.equal(metadata.token_endpoint_auth_method, 'none');
    assert.deepEqual(metadata.grant_types, ['authorization_code', 'refresh_token']);
    assert.equal(metadata.scope, 'openid profile ledger:admin ledger:audit');
  });
  it('writes nothing when it matches', () => {
    assert.deepEqual(decideBuiltInClient(ensure, fold([registeredClient]), {}), []);
  });
  it('is updated when the issuer changed', () => {
    const moved = { ...ensure, metadata: consoleClientMetadata('https://login.example') };
    const [event] = decideBuiltInClient(moved, fold([registeredClient]), {});
    assert.equal(event.type, 'ClientUpdated');
    assert.deepEqual((event.data as { changes: object }).changes, {
      redirect_uris: {
        before: ['https://id.example/console/callback'],
        after: ['https://login.example/console/callback'],
      },
      post_logout_redirect_uris: { before: ['https://id.example/console/'], after: ['https://login.example/console/'] },
    });
  });
  it('stays as an operator left it: disabled or deleted', () => {
    const disabled = fold([registeredClient, { type: 'ClientDisabled', data: { clientId: CONSOLE_CLIENT_ID } }]);
    assert.deepEqual(
      decideBuiltInClient({ ...ensure, metadata: consoleClientMetadata('https://x.example') }, disabled, {}),
      [],
    );
  });
  it('an issuer no client may redirect to (plain http off loopback) is refused, nothing decided', () => {
    const http = { ...ensure, metadata: consoleClientMetadata('http://id.example') };
    assert.throws(
      () => decideBuiltInClient(http, undefined, {}),
      (e: unknown) => e instanceof ClientMetadataError && e.error === 'invalid_redirect_uri',
    );
  });
});
