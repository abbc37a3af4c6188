/**
 * A token's status at a moment, folded from its own events. The one rule behind GraphQL's
 * `tokenStatusAt` and `token-ledger replay --until`, so the two can never disagree.
 */
export type TokenStatusValue = 'ACTIVE' | 'EXPIRED' | 'REVOKED';

export interface TokenLife {
  jti: string;
  grantId: string | null;
  exp: number;
  issued: boolean;
  revoked: boolean;
}

export const tokenLife = (jti: string, grantId: string | null, exp: number): TokenLife => ({
  jti,
  grantId,
  exp,
  issued: false,
  revoked: false,
});

/** Applies one event in ledger order: issued, then revoked directly, by its grant, or rotated out. */
export function applyToTokenLife(life: TokenLife, event: { type: string; data: unknown }): void {
  const d = event.data as { jti?: string; grantId?: string };
  switch (event.type) {
    case 'AccessTokenIssued':
    case 'RefreshTokenIssued':
      if (d.jti === life.jti) life.issued = true;
      return;
    case 'TokenRevoked':
    case 'RefreshTokenRotated':
      if (life.issued && d.jti === life.jti) life.revoked = true;
      return;
    case 'GrantRevoked':
      if (life.issued && life.grantId !== null && d.grantId === life.grantId) life.revoked = true;
      return;
  }
}

/** null: not issued (yet); otherwise REVOKED, EXPIRED (exp reached at `atSeconds`), or ACTIVE. */
export function statusOf(life: TokenLife, atSeconds: number | null): TokenStatusValue | null {
  if (!life.issued) return null;
  if (life.revoked) return 'REVOKED';
  return atSeconds !== null && life.exp <= atSeconds ? 'EXPIRED' : 'ACTIVE';
}
