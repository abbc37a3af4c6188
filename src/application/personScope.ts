import { scopeForPerson } from '../domain/users/roles.js';
import type { Ports } from './ports.js';
import { userBySub } from './queries/users.js';

/**
 * The scope a token for this person may carry now: each `ledger:*` scope only while they hold that role (the users
 * view, which has every RoleGranted and RoleRevoked this instance applied). Every path that issues a person's
 * tokens narrows through here: the authorization request, the code's redemption, each refresh, a token exchange.
 */
export const scopeForUser = (ports: Pick<Ports, 'views'>, sub: string, scope: string): string =>
  scopeForPerson(scope, userBySub(ports.views, sub)?.roles ?? []);
