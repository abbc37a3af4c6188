import { after, afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { v7 as uuidv7 } from 'uuid';
import { changePassword } from '../../../src/application/changePassword.js';
import { disableUser } from '../../../src/application/disableUser.js';
import { enableUser } from '../../../src/application/enableUser.js';
import { liveSession } from '../../../src/application/queries/authorization.js';
import { registerUser } from '../../../src/application/registerUser.js';
import { startSession } from '../../../src/application/startSession.js';
import { authenticateUser, findUserByUsername, usernameKeyOf } from '../../../src/application/users.js';
import { compactDecrypt } from 'jose';
import { sha256 } from '../../../src/crypto/hash.js';
import { UserCommandError } from '../../../src/domain/users/decide.js';
import { usernameStream, userStream } from '../../../src/domain/users/streams.js';
import { grantStream } from '../../../src/domain/grants/streams.js';
import { sessionStream } from '../../../src/domain/sessions/streams.js';
import { memoryPorts, T0, type MemoryPorts } from '../../helpers/memoryPorts.js';
import { ctx, givenClient, givenCode, givenUser, refusedWithoutWrite, typed } from './fixtures.js';

const now = T0 / 1000;
let ports: MemoryPorts;
beforeEach(async () => {
  ports = await memoryPorts();
});
afterEach(() => ports.close());

const streamTypes = async (stream: string) => typed(await ports.store.readStream(stream));

describe('registerUser', () => {
  it('claims the username, then registers under a UUIDv7 sub: the password kept only as a scrypt hash', async () => {
    const head = await ports.head();
    const bob = await registerUser(
      ports,
      { username: 'Bob', password: 'first password', email: 'bob@example.com', emailVerified: true, name: 'Bob Ex' },
      ctx,
    );
    assert.match(bob.sub, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const written = ports.writtenAfter(head);
    assert.deepEqual(
      written.map((e) => [e.type, e.stream]),
      [
        ['UsernameClaimed', usernameStream(usernameKeyOf(ports.keyEncryptionSecret, 'Bob'))],
        ['UserRegistered', userStream(bob.sub)],
      ],
    );
    const usernameKey = usernameKeyOf(ports.keyEncryptionSecret, 'bob');
    assert.deepEqual(written[0].data, { usernameKey, sub: bob.sub }, 'the name is claimed keyed, normalised');
    const { passwordHash, pii, ...data } = written[1].data as { passwordHash: { alg: string }; pii: string };
    assert.deepEqual(data, { sub: bob.sub, usernameKey, emailVerified: true });
    assert.equal(passwordHash.alg, 'scrypt');
    const stored = JSON.stringify(written.map((e) => e.data));
    for (const clear of ['first password', 'Bob', 'bob', 'bob@example.com', 'Bob Ex'])
      assert.ok(!stored.includes(clear), `${clear} is not in the ledger in clear`);
    const key = (await ports.subjectKeys.load([bob.sub])).get(bob.sub)!;
    const { plaintext, protectedHeader } = await compactDecrypt(pii, key);
    assert.deepEqual(protectedHeader, { alg: 'dir', enc: 'A256GCM', kid: bob.sub }, 'a JWE any JOSE library opens');
    assert.deepEqual(JSON.parse(new TextDecoder().decode(plaintext)), {
      username: 'Bob',
      email: 'bob@example.com',
      name: 'Bob Ex',
    });
    assert.deepEqual(
      [bob.username, bob.email, bob.name, bob.disabled, bob.createdAt],
      ['Bob', 'bob@example.com', 'Bob Ex', false, T0],
    );
  });

  it('refuses a taken username (user_exists), compared normalised, writing nothing; a disabled user keeps the name', async () => {
    const alice = await registerUser(ports, { username: 'alice', password: 'correct horse 1' }, ctx);
    await refusedWithoutWrite(
      ports,
      () => registerUser(ports, { username: 'ALICE', password: 'correct horse 2' }, ctx),
      {
        class: UserCommandError,
        code: 'user_exists',
        error: 'invalid_request',
        message: /^username ALICE is taken$/,
      },
    );
    await disableUser(ports, alice.sub, ctx);
    await refusedWithoutWrite(
      ports,
      () => registerUser(ports, { username: 'alice', password: 'another password' }, ctx),
      {
        class: UserCommandError,
        code: 'user_exists',
      },
    );
  });

  it('refuses bad input before claiming the name (invalid_user), writing nothing', async () => {
    await refusedWithoutWrite(ports, () => registerUser(ports, { username: 'carol', password: 'short' }, ctx), {
      class: UserCommandError,
      code: 'invalid_user',
      error: 'invalid_request',
      message: /at least 8 characters/,
    });
    await refusedWithoutWrite(
      ports,
      () => registerUser(ports, { username: 'carol', password: 'long enough', email: 'nope' }, ctx),
      { class: UserCommandError, code: 'invalid_user', message: /not a valid address/ },
    );
    await refusedWithoutWrite(ports, () => registerUser(ports, { username: 'car ol', password: 'long enough' }, ctx), {
      class: UserCommandError,
      code: 'invalid_user',
    });
    assert.deepEqual(
      await ports.store.readStream(usernameStream(usernameKeyOf(ports.keyEncryptionSecret, 'carol'))),
      [],
      'the name is still free',
    );
    assert.equal((await registerUser(ports, { username: 'carol', password: 'long enough' }, ctx)).username, 'carol');
  });

  describe('two instances over one ledger', () => {
    const others: MemoryPorts[] = [];
    after(async () => {
      for (const p of others) await p.close();
    });

    it('makes a username unique across two instances registering it at once', async () => {
      const b = await memoryPorts({ store: ports.store });
      others.push(b);
      const results = await Promise.allSettled([
        registerUser(ports, { username: 'alice', password: 'correct horse 1' }, ctx),
        registerUser(b, { username: 'ALICE', password: 'correct horse 2' }, ctx),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      assert.ok(
        lost[0].reason instanceof UserCommandError && lost[0].reason.code === 'user_exists',
        String(lost[0].reason),
      );
      assert.match(lost[0].reason.message, /^username (alice|ALICE) is taken$/);
      const claims = await ports.store.readStream(usernameStream(usernameKeyOf(ports.keyEncryptionSecret, 'alice')));
      assert.equal(claims.length, 1, 'one claim');
      assert.equal(typed(ports.store.all()).filter((t) => t === 'UserRegistered').length, 1, 'one user');
      await assert.rejects(
        registerUser(ports, { username: 'Alice', password: 'correct horse 3' }, ctx),
        /username Alice is taken/,
      );
    });
  });
});

describe('authenticateUser, changePassword, disableUser, enableUser', () => {
  it('registers, authenticates, changes the password and disables', async () => {
    const bob = await registerUser(
      ports,
      {
        username: 'Bob',
        password: 'first password',
        email: 'bob@example.com',
        emailVerified: true,
        name: 'Bob Example',
      },
      ctx,
    );
    assert.equal(findUserByUsername(ports, 'bob')?.sub, bob.sub);
    assert.equal((await authenticateUser(ports, 'BOB', 'first password'))?.sub, bob.sub);
    assert.equal(await authenticateUser(ports, 'bob', 'wrong password'), undefined);
    assert.equal(await authenticateUser(ports, 'nobody', 'first password'), undefined);
    await refusedWithoutWrite(ports, () => changePassword(ports, bob.sub, 'short', ctx), {
      class: UserCommandError,
      code: 'invalid_user',
      message: /at least 8 characters/,
    });
    ports.now = T0 + 1000;
    const changed = await changePassword(ports, bob.sub, 'second password', ctx);
    assert.ok(changed.updatedAt > bob.updatedAt);
    assert.equal(await authenticateUser(ports, 'bob', 'first password'), undefined);
    assert.equal((await authenticateUser(ports, 'bob', 'second password'))?.sub, bob.sub);
    assert.equal((await disableUser(ports, bob.sub, ctx)).disabled, true);
    assert.equal(await authenticateUser(ports, 'bob', 'second password'), undefined, 'a disabled user cannot log in');
    await assert.rejects(
      registerUser(ports, { username: 'bob', password: 'another password' }, ctx),
      /username bob is taken/,
      'a disabled user keeps the name',
    );
    await assert.rejects(disableUser(ports, uuidv7(), ctx), (e: UserCommandError) => e.code === 'user_not_found');
  });

  it('a password change signs the user out everywhere unless keepSessions; enableUser lets a disabled user log in again', async () => {
    const dora = await registerUser(ports, { username: 'dora', password: 'first password' }, ctx);
    const types = () => streamTypes(userStream(dora.sub));
    await changePassword(ports, dora.sub, 'second password', ctx, { keepSessions: true });
    await changePassword(ports, dora.sub, 'third password', ctx);
    assert.deepEqual(await types(), [
      'UserRegistered',
      'UserPasswordChanged',
      'UserPasswordChanged',
      'UserSessionsRevoked',
    ]);
    await disableUser(ports, dora.sub, ctx);
    assert.equal(await authenticateUser(ports, 'dora', 'third password'), undefined);
    assert.equal((await enableUser(ports, dora.sub, ctx)).disabled, false);
    assert.equal((await authenticateUser(ports, 'dora', 'third password'))?.sub, dora.sub);
    const head = await ports.head();
    assert.equal((await enableUser(ports, dora.sub, ctx)).disabled, false, 'enabling an enabled user is no error');
    assert.deepEqual((await types()).slice(4), ['UserDisabled', 'UserEnabled'], 'and writes nothing');
    assert.equal(await ports.head(), head);
  });

  it('a password change ends what the user held: sessions and grants, caused by UserSessionsRevoked', async () => {
    const erin = { sub: await givenUser(ports, 'erin') };
    const { sid } = await startSession(ports, erin.sub, ['pwd'], ctx);
    const client = await givenClient(ports);
    const { grantId } = await givenCode(ports, client, { sub: erin.sub, authTime: now, sid: null });
    const head = await ports.head();
    await changePassword(ports, erin.sub, 'second password', ctx);
    const written = ports.writtenAfter(head);
    assert.deepEqual(
      written.map((e) => [e.type, e.stream]),
      [
        ['UserPasswordChanged', userStream(erin.sub)],
        ['UserSessionsRevoked', userStream(erin.sub)],
        ['GrantRevoked', grantStream(grantId)],
        ['SessionEnded', sessionStream(sha256(sid))],
      ],
    );
    assert.deepEqual(
      written.slice(2).map((e) => [e.metadata.causationId, (e.data as { reason: string }).reason]),
      [
        [written[1].id, 'password changed'],
        [written[1].id, 'password changed'],
      ],
    );
    assert.equal(liveSession(ports.views, sha256(sid), now), undefined);
  });

  it('disabling ends what the user held, caused by UserDisabled', async () => {
    const fay = { sub: await givenUser(ports, 'fay') };
    const { sid } = await startSession(ports, fay.sub, ['pwd'], ctx);
    const head = await ports.head();
    const disabled = await disableUser(ports, fay.sub, ctx);
    assert.equal(disabled.disabled, true);
    const written = ports.writtenAfter(head);
    assert.deepEqual(
      written.map((e) => [e.type, e.data]),
      [
        ['UserDisabled', { sub: fay.sub }],
        ['SessionEnded', { sidHash: sha256(sid), reason: 'user disabled' }],
      ],
    );
    assert.equal(written[1].metadata.causationId, written[0].id);
  });

  it('refuses changes to an unknown or disabled user (user_not_found, user_disabled), writing nothing', async () => {
    await refusedWithoutWrite(ports, () => disableUser(ports, uuidv7(), ctx), {
      class: UserCommandError,
      code: 'user_not_found',
      error: 'invalid_request',
    });
    await refusedWithoutWrite(ports, () => enableUser(ports, uuidv7(), ctx), {
      class: UserCommandError,
      code: 'user_not_found',
    });
    await refusedWithoutWrite(ports, () => changePassword(ports, uuidv7(), 'long enough', ctx), {
      class: UserCommandError,
      code: 'user_not_found',
    });
    const gus = { sub: await givenUser(ports, 'gus') };
    await disableUser(ports, gus.sub, ctx);
    await refusedWithoutWrite(ports, () => disableUser(ports, gus.sub, ctx), {
      class: UserCommandError,
      code: 'user_disabled',
      error: 'access_denied',
    });
    await refusedWithoutWrite(ports, () => changePassword(ports, gus.sub, 'long enough', ctx), {
      class: UserCommandError,
      code: 'user_disabled',
    });
  });
});
