/**
 * Operator roles a person can hold, each named as the `ledger:*` scope it lets a token carry: `ledger:admin` reads
 * and changes the ledger through the management API, `ledger:audit` only reads it.
 */
export const OPERATOR_ROLES = ['ledger:admin', 'ledger:audit'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

export const isOperatorRole = (role: string): role is OperatorRole =>
  (OPERATOR_ROLES as readonly string[]).includes(role);

/** Every `ledger:*` scope is a role-gated one for a person, also a name no role has (it can never be granted). */
const isLedgerScope = (scope: string) => scope.startsWith('ledger:');

/**
 * The scope a person may have: each `ledger:*` scope only if they hold that role now, the rest unchanged, order kept
 * (RFC 6749 §3.3: the server may grant a narrower scope than asked, and says so in the response's `scope`).
 */
export function scopeForPerson(scope: string, roles: readonly string[]): string {
  return scope
    .split(' ')
    .filter((s) => s && (!isLedgerScope(s) || roles.includes(s)))
    .join(' ');
}

/** The operator roles a granted scope carries (an ID token's `roles` claim): none when it carries no ledger scope. */
export const rolesInScope = (scope: string): OperatorRole[] =>
  OPERATOR_ROLES.filter((role) => scope.split(' ').includes(role));
