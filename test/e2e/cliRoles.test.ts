import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/server.js';
import { openSqliteEventStore } from '../../src/stores/sqlite/sqliteEventStore.js';

const PASSWORD = 'correct horse battery staple';

/** `users create --role`, `users grant-role` and `users revoke-role`, as docs/operator-roles.md shows them. */
describe('token-ledger users: operator roles (no server running)', () => {
  const dataDir = tempDir();
  after(() => removeDir(dataDir));
  const cli = async (args: string[]) => {
    const ran = await runCli(args, { DATA_DIR: dataDir });
    return { ...ran, json: ran.code === 0 && args.includes('--json') ? JSON.parse(ran.stdout) : undefined };
  };
  /** The ledger's events, read after each command has closed it. */
  const ledger = async () => {
    const store = await openSqliteEventStore(join(dataDir, 'ledger.sqlite'));
    try {
      return await store.readAll(0n, 10_000);
    } finally {
      await store.close();
    }
  };
  let sub = '';

  it('creates a user holding roles: the registration and its roles in one append', async () => {
    const made = await cli([
      'users',
      'create',
      '--username',
      'olivia',
      '--password',
      PASSWORD,
      '--role',
      'ledger:admin',
      '--role',
      'ledger:audit',
      '--json',
    ]);
    assert.equal(made.code, 0, made.stderr);
    sub = made.json.sub;
    assert.deepEqual(made.json.roles, ['ledger:admin', 'ledger:audit']);
    const events = (await ledger()).filter((e) => e.stream === `user-${sub}`);
    assert.deepEqual(
      events.map((e) => [e.type, e.revision, e.data]),
      [
        ['UserRegistered', 0, events[0].data],
        ['RoleGranted', 1, { sub, role: 'ledger:admin' }],
        ['RoleGranted', 2, { sub, role: 'ledger:audit' }],
      ],
    );
    // One command, one append: the same correlation id, positions one after another.
    assert.equal(new Set(events.map((e) => e.metadata.correlationId)).size, 1);
    assert.equal(new Set(events.map((e) => e.position - BigInt(e.revision))).size, 1);
  });

  it('revokes and grants with a reason, recorded in the metadata; show and list tell the roles', async () => {
    const revoked = await cli(['users', 'revoke-role', 'olivia', 'ledger:admin', '--reason', 'moved teams', '--json']);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.deepEqual(revoked.json, { sub, username: 'olivia', roles: ['ledger:audit'] });
    const human = await cli(['users', 'grant-role', sub, 'ledger:admin', '--reason', 'back on call']);
    assert.equal(human.code, 0, human.stderr);
    assert.equal(human.stdout.trim(), 'user olivia holds ledger:admin; roles: ledger:admin ledger:audit');
    const last = (await ledger()).at(-1)!;
    assert.equal(last.type, 'RoleGranted');
    assert.deepEqual(last.data, { sub, role: 'ledger:admin' });
    assert.equal(last.metadata.reason, 'back on call');
    assert.equal(last.metadata.actor, 'operator:cli');

    const shown = await cli(['users', 'show', 'olivia', '--json']);
    assert.deepEqual(shown.json.roles, ['ledger:admin', 'ledger:audit']);
    const listed = await cli(['users', 'list']);
    assert.match(listed.stdout, /STATUS\s+ROLES/);
    assert.match(listed.stdout, /olivia.*active\s+ledger:admin ledger:audit/);
  });

  it('granting a role held, or revoking one not held, writes nothing', async () => {
    const before = (await ledger()).length;
    const again = await cli(['users', 'grant-role', 'olivia', 'ledger:admin', '--reason', 'twice', '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(again.json.roles, ['ledger:admin', 'ledger:audit']);
    await cli(['users', 'create', '--username', 'nobody', '--password', PASSWORD]);
    const afterCreate = (await ledger()).length;
    assert.equal(afterCreate, before + 2, 'the new user: a username claim and a registration');
    const none = await cli(['users', 'revoke-role', 'nobody', 'ledger:audit', '--reason', 'not held', '--json']);
    assert.equal(none.code, 0, none.stderr);
    assert.deepEqual(none.json.roles, []);
    assert.equal((await ledger()).length, afterCreate);
  });

  it('refuses an unknown role, a missing reason, a disabled user; nothing is written', async () => {
    await cli(['users', 'create', '--username', 'gone', '--password', PASSWORD]);
    await cli(['users', 'disable', 'gone']);
    const before = (await ledger()).length;
    for (const [args, pattern] of [
      [['users', 'grant-role', 'olivia', 'ledger:root', '--reason', 'x'], /role "ledger:root" is unknown/],
      [['users', 'revoke-role', 'olivia', 'admin', '--reason', 'x'], /role "admin" is unknown/],
      [['users', 'grant-role', 'olivia', 'ledger:audit'], /required option '--reason <reason>' not specified/],
      [['users', 'grant-role', 'olivia', 'ledger:audit', '--reason', '  '], /reason must be 1 to 200 characters/],
      [['users', 'grant-role', 'gone', 'ledger:audit', '--reason', 'x'], /user gone is disabled/],
      [['users', 'grant-role', 'nobody-at-all', 'ledger:audit', '--reason', 'x'], /user nobody-at-all does not exist/],
      [['users', 'create', '--username', 'eve', '--password', PASSWORD, '--role', 'root'], /role "root" is unknown/],
    ] as const) {
      const ran = await cli([...args]);
      assert.notEqual(ran.code, 0, args.join(' '));
      assert.match(ran.stderr, pattern);
      assert.doesNotMatch(ran.stderr, /unexpected error/);
    }
    assert.equal((await ledger()).length, before, 'nothing written, not even the username claim');
  });
});
