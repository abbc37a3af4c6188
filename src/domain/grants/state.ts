import type { AccessTokenIssuedEvent } from '../tokens/events.js';
import type { CodeIssuedEvent, RefreshIssuedEvent } from './events.js';

export type RefreshStatus = 'active' | 'rotated' | 'revoked';

/** One grant: the code that started it, and every token it produced. */
export interface GrantState {
  code?: CodeIssuedEvent['data'] & { redeemed: boolean };
  access: Map<string, AccessTokenIssuedEvent['data'] & { revoked: boolean }>;
  refresh: Map<string, RefreshIssuedEvent['data'] & { status: RefreshStatus }>;
  revoked: boolean;
}

export const initialGrant = (): GrantState => ({ access: new Map(), refresh: new Map(), revoked: false });
