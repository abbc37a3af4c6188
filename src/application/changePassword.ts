import type { UserState } from '../domain/users/state.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { hashPassword } from '../security/passwords.js';
import type { Ports } from './ports.js';
import { handleUserCommand, recordUserRevocations, viewed } from './users.js';

/**
 * Sets a new password. Unless `keepSessions`, the user is signed out everywhere in the same append
 * (UserSessionsRevoked): sessions end, grants and their tokens are revoked, as Keycloak and Auth0 do.
 */
export async function changePassword(
  ports: Pick<Ports, 'cache' | 'clock' | 'events' | 'history' | 'settleHistory' | 'views'>,
  sub: string,
  password: string,
  ctx: CommandContext,
  options: { keepSessions?: boolean } = {},
): Promise<UserState> {
  const passwordHash = await hashPassword(password);
  const events = await handleUserCommand(
    ports,
    { type: 'ChangePassword', sub, passwordHash, keepSessions: options.keepSessions === true },
    ctx,
  );
  if (events.some((e) => e.type === 'UserSessionsRevoked'))
    await recordUserRevocations(ports, sub, 'password changed', ctx);
  return viewed(ports, sub);
}
