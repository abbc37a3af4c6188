import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { v7 as uuidv7 } from 'uuid';
import { enableUser } from '../../../src/application/enableUser.js';
import { eraseUser } from '../../../src/application/eraseUser.js';
import { liveSession } from '../../../src/application/queries/authorization.js';
import { registerUser } from '../../../src/application/registerUser.js';
import { startSession } from '../../../src/application/startSession.js';
import { authenticateUser, findUserByUsername } from '../../../src/application/users.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { UserCommandError } from '../../../src/domain/users/decide.js';
import { grantStream } from '../../../src/domain/grants/streams.js';
import { sessionStream } from '../../../src/domain/sessions/streams.js';
import { userStream } from '../../../src/domain/users/streams.js';
import { hasValidHash } from '../../../src/eventsourcing/integrity.js';
import { memoryPorts, T0, type MemoryPorts } from '../../helpers/memoryPorts.js';
import { ctx, givenClient, givenCode, refusedWithoutWrite } from './fixtures.js';

const now = T0 / 1000;
const why = { ...ctx, reason: 'GDPR art. 17 request #42' };
let ports: MemoryPorts;
beforeEach(async () => {
  ports = await memoryPorts();
});
afterEach(() => ports.close());

const zelda = { username: 'Zelda.Erasure', password: 'first password', email: 'zelda@example.org', name: 'Zelda E' };

describe('eraseUser', () => {
  it('ends what the user held, records UserErased with the reason, then destroys the key', async () => {
    const user = await registerUser(ports, zelda, ctx);
    const { sid } = await startSession(ports, user.sub, ['pwd'], ctx);
    const { grantId } = await givenCode(ports, await givenClient(ports), { sub: user.sub, authTime: now, sid: null });
    const head = await ports.head();
    const erased = await eraseUser(ports, user.sub, why);
    const written = ports.writtenAfter(head);
    assert.deepEqual(
      written.map((e) => [e.type, e.stream]),
      [
        ['UserDisabled', userStream(user.sub)],
        ['GrantRevoked', grantStream(grantId)],
        ['SessionEnded', sessionStream(sha256(sid))],
        ['UserErased', userStream(user.sub)],
      ],
    );
    assert.deepEqual(
      written.map((e) => e.metadata.reason),
      Array(4).fill('GDPR art. 17 request #42'),
      "the operator's reason is in every event's metadata",
    );
    assert.deepEqual(written[3].data, { sub: user.sub });
    assert.equal(ports.subjectKeyRows.rows.get(user.sub), null, 'the key is gone, a tombstone stays');
    assert.deepEqual(
      [erased.username, erased.email, erased.name, erased.erased, erased.disabled],
      ['erased', 'erased', 'erased', true, true],
    );
    assert.equal(liveSession(ports.views, sha256(sid), now), undefined);
  });

  it('the username can never sign in again, nor be registered again; enable is refused', async () => {
    const user = await registerUser(ports, zelda, ctx);
    await eraseUser(ports, user.sub, why);
    assert.equal(await authenticateUser(ports, 'zelda.erasure', 'first password'), undefined);
    assert.equal(findUserByUsername(ports, 'Zelda.Erasure')?.sub, user.sub, 'the keyed index still holds the name');
    await refusedWithoutWrite(ports, () => registerUser(ports, { ...zelda, password: 'other password' }, ctx), {
      class: UserCommandError,
      code: 'user_exists',
    });
    await refusedWithoutWrite(ports, () => enableUser(ports, user.sub, ctx), {
      class: UserCommandError,
      code: 'user_erased',
      message: /is erased$/,
    });
  });

  it('another instance on the same ledger and key table reads `erased` once UserErased reaches it', async () => {
    const other = await memoryPorts({ store: ports.store, subjectKeyRows: ports.subjectKeyRows });
    try {
      const user = await registerUser(ports, zelda, ctx);
      await other.runner.waitFor(await ports.head());
      assert.equal(findUserByUsername(other, 'zelda.erasure')?.email, 'zelda@example.org', 'opened there too');
      await eraseUser(ports, user.sub, why);
      await other.runner.waitFor(await ports.head());
      const there = findUserByUsername(other, 'zelda.erasure');
      assert.deepEqual([there?.username, there?.email, there?.erased], ['erased', 'erased', true]);
      // A fresh reader (a restart) has no cache: the sealed event no longer opens.
      const restarted = await memoryPorts({ store: ports.store, subjectKeyRows: ports.subjectKeyRows });
      try {
        const again = findUserByUsername(restarted, 'zelda.erasure');
        assert.deepEqual([again?.username, again?.name, again?.erased], ['erased', 'erased', true]);
      } finally {
        await restarted.close();
      }
    } finally {
      await other.close();
    }
  });

  it('is idempotent: erasing again writes nothing and destroys the key again', async () => {
    const user = await registerUser(ports, zelda, ctx);
    await eraseUser(ports, user.sub, why);
    const head = await ports.head();
    assert.equal((await eraseUser(ports, user.sub, why)).erased, true);
    assert.equal(await ports.head(), head, 'nothing written');
  });

  it('completes an erasure whose key destruction was lost (a crash after UserErased)', async () => {
    const user = await registerUser(ports, zelda, ctx);
    const wrapped = ports.subjectKeyRows.rows.get(user.sub)!;
    await eraseUser(ports, user.sub, why);
    ports.subjectKeyRows.rows.set(user.sub, wrapped);
    await eraseUser(ports, user.sub, why);
    assert.equal(ports.subjectKeyRows.rows.get(user.sub), null);
  });

  it('refuses an unknown sub and a missing or overlong reason, writing nothing and keeping the key', async () => {
    const user = await registerUser(ports, zelda, ctx);
    await refusedWithoutWrite(ports, () => eraseUser(ports, uuidv7(), why), {
      class: UserCommandError,
      code: 'user_not_found',
      error: 'invalid_request',
      message: /^user [0-9a-f-]{36} does not exist$/,
    });
    for (const reason of ['', '   ', 'x'.repeat(201)]) {
      await refusedWithoutWrite(ports, () => eraseUser(ports, user.sub, { ...ctx, reason }), {
        class: UserCommandError,
        code: 'invalid_reason',
        message: /^reason must be 1 to 200 characters$/,
      });
    }
    assert.notEqual(ports.subjectKeyRows.rows.get(user.sub), null, 'the key is still there');
  });

  it('leaves every stream chain valid: the hashes cover the ciphertext, which is still there', async () => {
    const user = await registerUser(ports, zelda, ctx);
    const before = (await ports.store.readStream(userStream(user.sub)))[0];
    await eraseUser(ports, user.sub, why);
    const after = (await ports.store.readStream(userStream(user.sub)))[0];
    assert.deepEqual(after, before, 'the registration is stored as it was');
    const stream = await ports.store.readStream(userStream(user.sub));
    assert.ok(stream.every(hasValidHash), 'every hash holds');
    assert.ok(
      stream.every((e, i) => e.metadata.prevHash === (i === 0 ? '' : stream[i - 1].metadata.hash)),
      'the chain holds',
    );
  });
});
