import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/server.js';
import { openSqliteEventStore } from '../../src/stores/sqlite/sqliteEventStore.js';

const PASSWORD = 'correct horse battery staple';
const SECOND = 'Tr0ub4dor&3 but longer';
const ENV_PASSWORD = 'from the environment 42';

describe('token-ledger users (no server running)', () => {
  const dataDir = tempDir();
  after(() => removeDir(dataDir));
  const cli = async (args: string[], extraEnv: Record<string, string> = {}) => {
    const ran = await runCli(args, { DATA_DIR: dataDir, ...extraEnv });
    // Whatever the command, no password and no password hash is ever printed.
    for (const secret of [PASSWORD, SECOND, ENV_PASSWORD]) {
      assert.equal(
        ran.stdout.includes(secret) || ran.stderr.includes(secret),
        false,
        `${args.join(' ')} printed a password`,
      );
    }
    assert.doesNotMatch(
      ran.stdout + ran.stderr,
      /scrypt|passwordHash|"salt"|"hash"/,
      `${args.join(' ')} printed a password hash`,
    );
    return { ...ran, json: ran.code === 0 && args.includes('--json') ? JSON.parse(ran.stdout) : undefined };
  };
  let aliceSub = '';

  it('creates a user and prints its sub and profile', async () => {
    const made = await cli([
      'users',
      'create',
      '--username',
      'alice',
      '--password',
      PASSWORD,
      '--email',
      'alice@example.com',
      '--name',
      'Alice Example',
      '--email-verified',
      '--json',
    ]);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.json.sub, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    aliceSub = made.json.sub;
    assert.deepEqual(
      { ...made.json, sub: undefined, created_at: undefined, updated_at: undefined },
      {
        sub: undefined,
        username: 'alice',
        email: 'alice@example.com',
        email_verified: true,
        name: 'Alice Example',
        disabled: false,
        roles: [],
        created_at: undefined,
        updated_at: undefined,
      },
    );
    assert.match(made.json.created_at, /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(Object.keys(made.json).sort(), [
      'created_at',
      'disabled',
      'email',
      'email_verified',
      'name',
      'roles',
      'sub',
      'updated_at',
      'username',
    ]);

    const fromEnv = await cli(['users', 'create', '--username', 'Bob.Builder', '--json'], {
      TOKEN_LEDGER_PASSWORD: ENV_PASSWORD,
    });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.equal(fromEnv.json.username, 'Bob.Builder');
    assert.equal(fromEnv.json.email, undefined);
    assert.equal(fromEnv.json.email_verified, false);

    const human = await cli(['users', 'create', '--username', 'carol', '--password', PASSWORD]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^sub: .+\nusername: carol\n/);

    const ledger = readFileSync(join(dataDir, 'ledger.sqlite'));
    for (const secret of [PASSWORD, ENV_PASSWORD])
      assert.equal(ledger.includes(secret), false, 'no password in the ledger file');
    for (const f of readdirSync(dataDir)) {
      if (f.startsWith('ledger.sqlite')) assert.equal(readFileSync(join(dataDir, f)).includes(PASSWORD), false, f);
    }
  });

  it('lists and shows users by sub or username', async () => {
    const list = await cli(['users', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.json.users.map((u: { username: string }) => u.username).sort(), [
      'Bob.Builder',
      'alice',
      'carol',
    ]);
    const human = await cli(['users', 'list']);
    assert.match(human.stdout, /SUB\s+USERNAME\s+EMAIL\s+NAME\s+STATUS/);
    assert.match(human.stdout, /alice\s+alice@example\.com\s+Alice Example\s+active/);

    const bySub = await cli(['users', 'show', aliceSub, '--json']);
    assert.equal(bySub.json.username, 'alice');
    const byName = await cli(['users', 'show', 'BOB.builder', '--json']);
    assert.equal(byName.json.username, 'Bob.Builder', 'usernames compare case-insensitively');
  });

  it('sets a password and disables', async () => {
    const changed = await cli(['users', 'set-password', 'alice', '--password', SECOND, '--json']);
    assert.equal(changed.code, 0, changed.stderr);
    assert.equal(changed.json.sub, aliceSub);
    const fromEnv = await cli(['users', 'set-password', aliceSub], { TOKEN_LEDGER_PASSWORD: ENV_PASSWORD });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.match(fromEnv.stdout, /password changed for user alice/);

    const disabled = await cli(['users', 'disable', 'carol']);
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.match(disabled.stdout, /user carol disabled/);
    assert.equal((await cli(['users', 'show', 'carol', '--json'])).json.disabled, true);
    assert.equal(
      readFileSync(join(dataDir, 'ledger.sqlite')).includes(SECOND),
      false,
      'no new password in the ledger file',
    );
  });

  it('set-password signs the user out everywhere unless --keep-sessions; enable lets a disabled user in again', async () => {
    const kept = await cli(['users', 'set-password', 'alice', '--keep-sessions'], {
      TOKEN_LEDGER_PASSWORD: ENV_PASSWORD,
    });
    assert.equal(kept.code, 0, kept.stderr);
    const revoked = await cli(['users', 'set-password', 'alice'], { TOKEN_LEDGER_PASSWORD: ENV_PASSWORD });
    assert.equal(revoked.code, 0, revoked.stderr);
    const store = await openSqliteEventStore(join(dataDir, 'ledger.sqlite'));
    try {
      const events = await store.readStream(`user-${aliceSub}`);
      assert.deepEqual(
        events.slice(-3).map((e) => e.type),
        ['UserPasswordChanged', 'UserPasswordChanged', 'UserSessionsRevoked'],
      );
      assert.equal(events.at(-1)!.metadata.actor, 'operator:cli');
    } finally {
      await store.close();
    }
    const enabled = await cli(['users', 'enable', 'carol', '--json']);
    assert.equal(enabled.code, 0, enabled.stderr);
    assert.equal(enabled.json.disabled, false);
    assert.equal((await cli(['users', 'disable', 'carol'])).code, 0, 'and it can be disabled again');
  });

  it('refuses bad input with one line and a non-zero exit', async () => {
    for (const [args, pattern, env] of [
      [['users', 'create', '--username', 'alice', '--password', PASSWORD], /username alice is taken/, {}],
      [['users', 'create', '--username', 'ALICE', '--password', PASSWORD, '--json'], /username ALICE is taken/, {}],
      [['users', 'create', '--username', 'carol', '--password', PASSWORD], /username carol is taken/, {}],
      [
        ['users', 'create', '--username', 'dave'],
        /a password is required: pass --password or set TOKEN_LEDGER_PASSWORD/,
        {},
      ],
      [
        ['users', 'create', '--username', 'dave', '--password', 'short'],
        /password is too short: expected at least 8 characters/,
        {},
      ],
      [['users', 'create', '--username', 'da ve', '--password', PASSWORD], /username "da ve" is invalid/, {}],
      [
        ['users', 'create', '--username', 'dave', '--password', PASSWORD, '--email', 'nope'],
        /email "nope" is not a valid address/,
        {},
      ],
      [
        ['users', 'create', '--username', 'dave', '--password', PASSWORD, '--email-verified'],
        /email_verified needs an email/,
        {},
      ],
      [['users', 'create', '--password', PASSWORD], /required option '--username <username>' not specified/, {}],
      [['users', 'show', 'nobody'], /user nobody does not exist/, {}],
      [['users', 'set-password', 'alice'], /a password is required/, {}],
      [['users', 'set-password', 'carol', '--password', PASSWORD], /user carol is disabled/, {}],
      [['users', 'disable', 'carol'], /user carol is disabled/, {}],
    ] as const) {
      const ran = await cli([...args], env);
      assert.notEqual(ran.code, 0, args.join(' '));
      assert.match(ran.stderr, pattern);
      assert.doesNotMatch(ran.stderr, /unexpected error/, args.join(' '));
      assert.equal(ran.stderr.trim().split('\n').length <= 2, true, ran.stderr);
    }
    const list = await cli(['users', 'list', '--json']);
    assert.equal(list.json.users.length, 3, 'nothing was registered by a refused command');
  });
});
