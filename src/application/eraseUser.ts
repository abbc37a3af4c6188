import { UserCommandError } from '../domain/users/decide.js';
import type { UserState } from '../domain/users/state.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Ports } from './ports.js';
import { findUserBySub, handleUserCommand, recordUserRevocations, viewed } from './users.js';

/** Operators give a reason for an erasure: it is recorded (metadata), so it must be there and short. */
export const ERASURE_REASON_MAX = 200;

/**
 * Erases a user (crypto-shredding): first everything they hold ends as on disable (UserDisabled, then one
 * record per grant, token and session), then UserErased is recorded, then the subject's key is destroyed, so
 * every sealed event about them reads `erased` while the hashes over the ciphertext, and verify, stay valid.
 *
 * Idempotent: on an erased user it writes nothing and destroys the key again (a crash after UserErased and
 * before the destruction is completed so). An unknown sub is refused before anything is written.
 */
export async function eraseUser(
  ports: Pick<Ports, 'cache' | 'clock' | 'events' | 'history' | 'settleHistory' | 'views' | 'subjectKeys'>,
  sub: string,
  ctx: CommandContext & { reason: string },
): Promise<UserState> {
  const reason = ctx.reason.trim();
  if (reason.length < 1 || reason.length > ERASURE_REASON_MAX)
    throw new UserCommandError('invalid_reason', `reason must be 1 to ${ERASURE_REASON_MAX} characters`);
  const user = findUserBySub(ports, sub);
  if (!user) throw new UserCommandError('user_not_found', `user ${sub} does not exist`);
  const why = { ...ctx, reason };
  if (!user.erased) {
    if (!user.disabled) await handleUserCommand(ports, { type: 'DisableUser', sub }, why);
    // Again if it was disabled already: records a crash or a re-enable may have left out are written now.
    await recordUserRevocations(ports, sub, 'user erased', why);
    await handleUserCommand(ports, { type: 'EraseUser', sub }, why);
  }
  await ports.subjectKeys.destroy(sub);
  return viewed(ports, sub);
}
