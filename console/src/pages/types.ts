/** The shapes the pages' GraphQL documents answer (schema/management.graphql); dates are ISO 8601 strings. */

export interface LedgerEvent {
  position: string;
  type: string;
  recordedAt: string;
  actor: string | null;
  reason: string | null;
  data: Record<string, unknown>;
}

export type TokenStatus = 'ACTIVE' | 'EXPIRED' | 'REVOKED';

/** A token as lists show it. */
export interface TokenRow {
  jti: string;
  kind: string;
  clientId: string;
  subject: string | null;
  status: TokenStatus;
  issuedAt: string;
  expiresAt: string;
  revokedAt: string | null;
  revocationReason: string | null;
}

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface TokenConnection {
  totalCount: number;
  pageInfo: PageInfo;
  edges: { node: TokenRow }[];
}

/** A sign-in session as the API answers it (never its id: that is a secret). */
export interface Session {
  active: boolean;
  amr: string[];
  authenticatedAt: string;
  expiresAt: string;
  endedAt: string | null;
  endReason: string | null;
}
