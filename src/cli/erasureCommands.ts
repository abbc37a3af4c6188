import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { eraseUser, ERASURE_REASON_MAX } from '../application/eraseUser.js';
import { findUserBySub, findUserByUsername } from '../application/users.js';
import { UserCommandError } from '../domain/users/decide.js';
import { print } from './output.js';
import { withRuntime } from './withRuntime.js';

/**
 * `users erase <sub|username> --reason …`: the same use case as GraphQL's eraseUser. A username finds the
 * user only while it can still be read (before erasure); afterwards the sub does (idempotent).
 */
export function eraseUserCommand(): Command {
  return new Command('erase')
    .argument('<subOrUsername>')
    .description(
      "erase a user's personal data for good: revokes their tokens, grants and sessions, records UserErased and " +
        'destroys their key; username, email and name read `erased` from then on, and verify stays green',
    )
    .requiredOption('--reason <reason>', `why (1–${ERASURE_REASON_MAX} characters), recorded with the event`)
    .option('--json', 'print JSON')
    .action((subOrUsername: string, opts: { reason: string; json?: boolean }) =>
      withRuntime(async (rt) => {
        const found = findUserBySub(rt.ports, subOrUsername) ?? findUserByUsername(rt.ports, subOrUsername);
        if (!found) throw new UserCommandError('user_not_found', `user ${subOrUsername} does not exist`);
        const ctx = { actor: 'operator:cli', correlationId: randomUUID(), reason: opts.reason };
        const u = await eraseUser(rt.ports, found.sub, ctx);
        const info = { sub: u.sub, username: u.username, email: u.email, name: u.name, erased: u.erased };
        print(!!opts.json, info, () => `user ${u.sub} erased`);
      }),
    );
}
