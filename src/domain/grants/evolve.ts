import type { TokenEvent } from '../tokens/events.js';
import type { GrantStreamEvent } from './events.js';
import type { GrantState } from './state.js';

export type GrantEvent = GrantStreamEvent | TokenEvent;

export function evolveGrant(state: GrantState, event: GrantEvent): GrantState {
  switch (event.type) {
    case 'AuthorizationCodeIssued':
      return { ...state, code: { ...event.data, redeemed: false } };
    case 'AuthorizationCodeRedeemed':
      return state.code ? { ...state, code: { ...state.code, redeemed: true } } : state;
    case 'AccessTokenIssued':
      state.access.set(event.data.jti, { ...event.data, revoked: false });
      return state;
    case 'RefreshTokenIssued':
      state.refresh.set(event.data.jti, { ...event.data, status: 'active' });
      return state;
    case 'RefreshTokenRotated': {
      const token = state.refresh.get(event.data.jti);
      if (token) token.status = 'rotated';
      return state;
    }
    case 'TokenRevoked': {
      const access = state.access.get(event.data.jti);
      if (access) access.revoked = true;
      const refresh = state.refresh.get(event.data.jti);
      if (refresh) refresh.status = 'revoked';
      return state;
    }
    case 'GrantRevoked':
      for (const a of state.access.values()) a.revoked = true;
      for (const r of state.refresh.values()) if (r.status === 'active') r.status = 'revoked';
      return { ...state, revoked: true };
    case 'RefreshTokenReuseDetected':
    case 'AuthorizationCodeReuseDetected':
    case 'IdTokenIssued':
      return state;
  }
}
