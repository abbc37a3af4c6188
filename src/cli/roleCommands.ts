import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { grantRole, revokeRole } from '../application/roles.js';
import { OPERATOR_ROLES } from '../domain/users/roles.js';
import type { UserState } from '../domain/users/state.js';
import type { Runtime } from '../runtime.js';
import { print } from './output.js';
import { withRuntime } from './withRuntime.js';

/**
 * `users grant-role` and `users revoke-role <sub|username> <role> --reason …`: the use cases GraphQL's grantRole and
 * revokeRole run. A role held already (granting) or not held (revoking) writes nothing and answers the same.
 */
export function roleCommands(find: (rt: Runtime, subOrUsername: string) => UserState): Command[] {
  const command = (name: string, description: string, change: typeof grantRole, done: string) =>
    new Command(name)
      .argument('<subOrUsername>')
      .argument('<role>', OPERATOR_ROLES.join(' or '))
      .description(description)
      .requiredOption('--reason <reason>', 'why (1–200 characters), recorded with the event')
      .option('--json', 'print JSON')
      .action((subOrUsername: string, role: string, opts: { reason: string; json?: boolean }) =>
        withRuntime(async (rt) => {
          const ctx = { actor: 'operator:cli', correlationId: randomUUID(), reason: opts.reason };
          const user = await change(rt.ports, find(rt, subOrUsername).sub, role, ctx);
          const info = { sub: user.sub, username: user.username, roles: user.roles };
          print(
            !!opts.json,
            info,
            () => `user ${user.username} ${done} ${role}; roles: ${user.roles.join(' ') || '(none)'}`,
          );
        }),
      );
  return [
    command(
      'grant-role',
      "give a user an operator role: their tokens carry the role's ledger:* scope when a client asks for it",
      grantRole,
      'holds',
    ),
    command(
      'revoke-role',
      "take an operator role away: the management API refuses its scope to the user's tokens from the next request",
      revokeRole,
      'no longer holds',
    ),
  ];
}
