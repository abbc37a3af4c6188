import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { changePassword } from '../application/changePassword.js';
import { disableUser } from '../application/disableUser.js';
import { enableUser } from '../application/enableUser.js';
import { registerUser } from '../application/registerUser.js';
import { findUserBySub, findUserByUsername } from '../application/users.js';
import { UserCommandError } from '../domain/users/decide.js';
import type { UserState } from '../domain/users/state.js';
import { allUsers } from '../application/queries/users.js';
import type { Runtime } from '../runtime.js';
import { print, table } from './output.js';
import { withRuntime } from './withRuntime.js';
import { eraseUserCommand } from './erasureCommands.js';
import { roleCommands } from './roleCommands.js';
import { OPERATOR_ROLES } from '../domain/users/roles.js';

const operator = () => ({ actor: 'operator:cli', correlationId: randomUUID() });

/** Read from the environment when --password is not given: keeps it out of `ps` and shell history. */
const PASSWORD_ENV = 'TOKEN_LEDGER_PASSWORD';

function passwordFrom(flag: string | undefined): string {
  const password = flag ?? process.env[PASSWORD_ENV];
  if (password === undefined || password === '') {
    throw new UserCommandError('invalid_user', `a password is required: pass --password or set ${PASSWORD_ENV}`);
  }
  return password;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** What the CLI shows of a user: OIDC claim names; never the password hash. */
function userInformation(u: UserState) {
  return {
    sub: u.sub,
    username: u.username,
    ...(u.email !== undefined ? { email: u.email } : {}),
    email_verified: u.emailVerified,
    ...(u.name !== undefined ? { name: u.name } : {}),
    disabled: u.disabled,
    ...(u.erased ? { erased: true } : {}),
    roles: u.roles,
    created_at: iso(u.createdAt),
    updated_at: iso(u.updatedAt),
  };
}

/** A sub first (a username can never look like one), then a username. */
function mustFind(rt: Runtime, subOrUsername: string): UserState {
  const u = findUserBySub(rt.ports, subOrUsername) ?? findUserByUsername(rt.ports, subOrUsername);
  if (!u) throw new UserCommandError('user_not_found', `user ${subOrUsername} does not exist`);
  return u;
}

const describe = (u: ReturnType<typeof userInformation>) =>
  Object.entries(u)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n');

export function usersCommand(): Command {
  const users = new Command('users').description(
    'end users: create, list, show, disable, enable, set-password, grant-role, revoke-role, erase',
  );

  users
    .command('create')
    .description(`register a user (the password from --password or ${PASSWORD_ENV})`)
    .requiredOption(
      '--username <username>',
      '1–64 characters from A–Z a–z 0–9 . _ @ + - (unique, ' + 'case-insensitive)',
    )
    .option('--password <password>', `at least 8 characters (prefer ${PASSWORD_ENV}: a flag shows in the process list)`)
    .option('--email <email>', 'email address')
    .option('--email-verified', 'the email address is known to belong to the user')
    .option('--name <name>', 'full name')
    .option(
      '--role <role>',
      `an operator role (${OPERATOR_ROLES.join(', ')}); repeat for more; recorded with the registration`,
      (role: string, roles: string[]) => [...roles, role],
      [] as string[],
    )
    .option('--json', 'print JSON')
    .action(
      (opts: {
        username: string;
        password?: string;
        email?: string;
        emailVerified?: boolean;
        name?: string;
        role: string[];
        json?: boolean;
      }) =>
        withRuntime(async (rt) => {
          const password = passwordFrom(opts.password);
          const user = await registerUser(
            rt.ports,
            {
              username: opts.username,
              password,
              ...(opts.email !== undefined ? { email: opts.email } : {}),
              ...(opts.name !== undefined ? { name: opts.name } : {}),
              emailVerified: !!opts.emailVerified,
              roles: opts.role,
            },
            operator(),
          );
          const info = userInformation(user);
          print(!!opts.json, info, () => describe(info));
        }, 'create'),
    );

  users
    .command('list')
    .description('list users')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      withRuntime(async (rt) => {
        const all = [...allUsers(rt.views)].map(userInformation);
        print(!!opts.json, { users: all }, () =>
          table(
            all.map((u) => ({
              sub: u.sub,
              username: u.username,
              email: u.email ?? '',
              name: u.name ?? '',
              status: u.disabled ? 'disabled' : 'active',
              roles: u.roles.join(' '),
            })),
          ),
        );
      }),
    );

  users
    .command('show <subOrUsername>')
    .description('show one user')
    .option('--json', 'print JSON')
    .action((subOrUsername: string, opts: { json?: boolean }) =>
      withRuntime(async (rt) => {
        const info = userInformation(mustFind(rt, subOrUsername));
        print(!!opts.json, info, () => describe(info));
      }),
    );

  /** disable and enable: the same shape, another use case. */
  const statusChange = (name: string, description: string, change: typeof disableUser, done: string) =>
    users
      .command(`${name} <subOrUsername>`)
      .description(description)
      .option('--json', 'print JSON')
      .action((subOrUsername: string, opts: { json?: boolean }) =>
        withRuntime(async (rt) => {
          const info = userInformation(await change(rt.ports, mustFind(rt, subOrUsername).sub, operator()));
          print(!!opts.json, info, () => `user ${info.username} ${done}`);
        }),
      );
  statusChange(
    'disable',
    'disable a user: they can no longer log in, and their sessions,' +
      ' grants and tokens are revoked (the username stays taken)',
    disableUser,
    'disabled',
  );
  statusChange(
    'enable',
    'let a disabled user log in again (what disabling revoked stays revoked)',
    enableUser,
    'enabled',
  );

  users
    .command('set-password <subOrUsername>')
    .description(
      `replace a user's password (from --password or ${PASSWORD_ENV}); signs the user out everywhere unless ` +
        `--keep-sessions`,
    )
    .option('--password <password>', 'the new password, at least 8 characters')
    .option('--keep-sessions', "keep the user's sessions, grants and tokens (by default they are revoked)")
    .option('--json', 'print JSON')
    .action((subOrUsername: string, opts: { password?: string; keepSessions?: boolean; json?: boolean }) =>
      withRuntime(async (rt) => {
        const password = passwordFrom(opts.password);
        const keepSessions = opts.keepSessions === true;
        const info = userInformation(
          await changePassword(rt.ports, mustFind(rt, subOrUsername).sub, password, operator(), { keepSessions }),
        );
        print(!!opts.json, info, () => `password changed for user ${info.username}`);
      }),
    );
  for (const command of roleCommands(mustFind)) users.addCommand(command);
  users.addCommand(eraseUserCommand());
  return users;
}
