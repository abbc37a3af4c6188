import type { Decider } from '../decider.js';
import type {
  BackchannelDeliveredEvent,
  BackchannelFailedEvent,
  SessionEndedEvent,
  SessionStartedEvent,
} from './events.js';
import type { LoggedOutEvent, LoginSucceededEvent, RequestContextData } from '../security/events.js';

export type SessionEvent =
  | SessionStartedEvent
  | SessionEndedEvent
  | BackchannelDeliveredEvent
  | BackchannelFailedEvent
  | LoginSucceededEvent
  | LoggedOutEvent;

/** Who asked, when a person did at a page: recorded as a security event in the same append (no write of its own). */
interface Seen {
  context: RequestContextData;
  clientId?: string;
}

/** The decider's view of one `session-<sidHash>` stream: absent until started. */
type SessionState = { sub: string; ended: boolean } | undefined;

/** Which logout token, to which client, on which attempt (OIDC Back-Channel Logout 1.0). */
interface Delivery {
  sidHash: string;
  clientId: string;
  jti: string;
  attempt: number;
}

export type SessionCommand =
  | {
      type: 'StartSession';
      sidHash: string;
      sub: string;
      authTime: number;
      amr: string[];
      exp: number;
      login?: Required<Seen>;
    }
  | { type: 'EndSession'; sidHash: string; reason: string; logout?: Seen }
  | ({ type: 'RecordLogoutDelivered' } & Delivery)
  /** `now` in epoch ms: the next attempt is scheduled from it. */
  | ({ type: 'RecordLogoutFailed'; error: string; now: number } & Delivery);

export class SessionError extends Error {
  override readonly name = 'SessionError';
  constructor(
    readonly code: 'session_exists' | 'session_not_found',
    message: string,
  ) {
    super(message);
  }
}

/** A delivery is given up after this many attempts (nextAttemptAt null). */
const MAX_LOGOUT_ATTEMPTS = 8;

/** 2 s, 4 s, 8 s … at most an hour between attempts. */
const logoutBackoffMs = (attempt: number) => Math.min(2 ** attempt * 1000, 3_600_000);

function evolveSession(state: SessionState, event: SessionEvent): SessionState {
  switch (event.type) {
    case 'SessionStarted':
      return { sub: event.data.sub, ended: false };
    case 'SessionEnded':
      return state && { ...state, ended: true };
    default:
      return state;
  }
}

function decideSession(command: SessionCommand, state: SessionState): SessionEvent[] {
  switch (command.type) {
    case 'StartSession': {
      if (state) throw new SessionError('session_exists', 'the session was started before');
      const { sidHash, sub, authTime, amr, exp, login } = command;
      const started: SessionEvent = { type: 'SessionStarted', data: { sidHash, sub, authTime, amr, exp } };
      if (!login) return [started];
      const { context, clientId } = login;
      return [started, { type: 'LoginSucceeded', data: { sub, clientId, sidHash, context } }];
    }
    case 'EndSession': {
      if (!state) throw new SessionError('session_not_found', 'no such session');
      // Ended already (a second logout racing the first): nothing more to record.
      if (state.ended) return [];
      const { sidHash, reason, logout } = command;
      const ended: SessionEvent = { type: 'SessionEnded', data: { sidHash, reason } };
      if (!logout) return [ended];
      const { context, clientId } = logout;
      const who = { sidHash, sub: state.sub, reason, ...(clientId !== undefined && { clientId }), context };
      return [ended, { type: 'LoggedOut', data: who }];
    }
    case 'RecordLogoutDelivered': {
      const { sidHash, clientId, jti, attempt } = command;
      return [{ type: 'BackchannelLogoutDelivered', data: { sidHash, clientId, jti, attempt } }];
    }
    case 'RecordLogoutFailed': {
      const { sidHash, clientId, jti, attempt, now } = command;
      const nextAttemptAt =
        attempt >= MAX_LOGOUT_ATTEMPTS ? null : new Date(now + logoutBackoffMs(attempt)).toISOString();
      return [
        {
          type: 'BackchannelLogoutFailed',
          data: { sidHash, clientId, jti, attempt, error: command.error.slice(0, 500), nextAttemptAt },
        },
      ];
    }
  }
}

export const sessionDecider: Decider<SessionCommand, SessionState, SessionEvent> = {
  initialState: () => undefined,
  evolve: evolveSession,
  decide: decideSession,
};
