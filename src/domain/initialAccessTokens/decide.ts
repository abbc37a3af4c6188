import type { Decider } from '../decider.js';
import { refusalWithReasons } from '../refusal.js';
import type { RegistrationPolicy } from '../registration/policy.js';
import type { InitialAccessTokenEvent } from './events.js';

export type InitialAccessTokenCommand =
  | {
      type: 'IssueInitialAccessToken';
      tokenHash: string;
      expiresAt: number | null;
      uses: number | null;
      policy?: RegistrationPolicy;
    }
  /** `now` in ms. */
  | { type: 'UseInitialAccessToken'; tokenHash: string; clientId: string; now: number }
  | { type: 'RevokeInitialAccessToken'; tokenHash: string };

export type InitialAccessTokenState =
  | {
      expiresAt: number | null;
      usesLeft: number | null;
      policy?: RegistrationPolicy;
      revoked: boolean;
      usedBy: string[];
    }
  | undefined;

type Reason = 'unknown' | 'expired' | 'used_up' | 'revoked' | 'exists';

/**
 * RFC 7591 §3: a registration with an initial access token that is not good is refused as an OAuth 2.0 bearer
 * token would be (RFC 6750 §3.1: invalid_token); `exists` is a second mint of the same 256-bit token, a fault.
 */
export class InitialAccessTokenRefused extends refusalWithReasons<Reason>('InitialAccessTokenRefused', {
  unknown: 'invalid_token',
  expired: 'invalid_token',
  used_up: 'invalid_token',
  revoked: 'invalid_token',
  exists: 'server_error',
}) {}

function evolve(state: InitialAccessTokenState, event: InitialAccessTokenEvent): InitialAccessTokenState {
  switch (event.type) {
    case 'InitialAccessTokenIssued': {
      const { expiresAt, uses, policy } = event.data;
      return { expiresAt, usesLeft: uses, revoked: false, usedBy: [], ...(policy && { policy }) };
    }
    case 'InitialAccessTokenUsed':
      return (
        state && {
          ...state,
          usesLeft: state.usesLeft === null ? null : state.usesLeft - 1,
          usedBy: [...state.usedBy, event.data.clientId],
        }
      );
    case 'InitialAccessTokenRevoked':
      return state && { ...state, revoked: true };
  }
}

function decide(command: InitialAccessTokenCommand, state: InitialAccessTokenState): InitialAccessTokenEvent[] {
  switch (command.type) {
    case 'IssueInitialAccessToken': {
      if (state) throw new InitialAccessTokenRefused('exists', 'this initial access token was minted before');
      const { tokenHash, expiresAt, uses, policy } = command;
      return [{ type: 'InitialAccessTokenIssued', data: { tokenHash, expiresAt, uses, ...(policy && { policy }) } }];
    }
    case 'UseInitialAccessToken': {
      // One description for every reason: a caller without a good token learns nothing about others.
      const refuse = (reason: Reason) => new InitialAccessTokenRefused(reason, 'the initial access token is not valid');
      if (!state) throw refuse('unknown');
      if (state.revoked) throw refuse('revoked');
      if (state.expiresAt !== null && command.now >= state.expiresAt) throw refuse('expired');
      if (state.usesLeft !== null && state.usesLeft <= 0) throw refuse('used_up');
      return [{ type: 'InitialAccessTokenUsed', data: { tokenHash: command.tokenHash, clientId: command.clientId } }];
    }
    case 'RevokeInitialAccessToken':
      if (!state) throw new InitialAccessTokenRefused('unknown', 'no such initial access token');
      return state.revoked ? [] : [{ type: 'InitialAccessTokenRevoked', data: { tokenHash: command.tokenHash } }];
  }
}

/**
 * The life of one `iat-<hash>` stream: minted, used up to its count before it expires, or revoked. Two
 * registrations racing for the last use meet the stream's expected version: one of them is refused.
 */
export const initialAccessTokenDecider: Decider<
  InitialAccessTokenCommand,
  InitialAccessTokenState,
  InitialAccessTokenEvent
> = { initialState: () => undefined, evolve, decide };
