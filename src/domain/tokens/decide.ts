import { Refusal } from '../refusal.js';
import type { Decider } from '../decider.js';
import type { AccessTokenIssuedEvent, TokenEvent, TokenRevokedEvent } from './events.js';

/** One token's stream: what was issued and whether it was revoked. */
interface TokenStreamState {
  issued?: AccessTokenIssuedEvent['data'];
  revoked: boolean;
}

export const initialTokenState = (): TokenStreamState => ({ revoked: false });

function evolveToken(state: TokenStreamState, event: TokenEvent): TokenStreamState {
  switch (event.type) {
    case 'AccessTokenIssued':
      return { ...state, issued: event.data };
    case 'TokenRevoked':
      return { ...state, revoked: true };
  }
}

type TokenCommand =
  | { type: 'IssueAccessToken'; token: AccessTokenIssuedEvent['data'] }
  | { type: 'RevokeToken'; jti: string; requestedBy: { clientId: string } | { operator: string }; reason: string };

/** An issuance the ledger already holds: an invariant of the server broken, not a caller's mistake. */
class TokenCommandError extends Refusal {
  override readonly name = 'TokenCommandError';
  constructor(message: string) {
    super('server_error', message, { status: 500 });
  }
}

export function decideToken(command: TokenCommand, state: TokenStreamState): TokenEvent[] {
  switch (command.type) {
    case 'IssueAccessToken':
      if (state.issued) throw new TokenCommandError(`token ${command.token.jti} already issued`);
      return [{ type: 'AccessTokenIssued', data: command.token }];
    case 'RevokeToken': {
      const issued = state.issued;
      // RFC 7009 §2.2: unknown, already revoked, or another client's token: nothing to do, still a success.
      if (!issued || state.revoked) return [];
      if ('clientId' in command.requestedBy && command.requestedBy.clientId !== issued.clientId) return [];
      const revoked: TokenRevokedEvent = {
        type: 'TokenRevoked',
        data: { jti: issued.jti, tokenHash: issued.tokenHash, kind: 'access_token', reason: command.reason },
      };
      return [revoked];
    }
  }
}

export const tokenDecider: Decider<TokenCommand, TokenStreamState, TokenEvent> = {
  initialState: initialTokenState,
  evolve: evolveToken,
  decide: decideToken,
};
