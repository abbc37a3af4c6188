import { describe, it } from 'node:test';
import { sessionDecider, SessionError, type SessionEvent } from '../../src/domain/sessions/decide.js';
import { deciderSpec } from '../helpers/deciderSpec.js';

const { given } = deciderSpec(sessionDecider);
const sidHash = 's'.repeat(43);
const started: SessionEvent = {
  type: 'SessionStarted',
  data: { sidHash, sub: 'u', authTime: 100, amr: ['pwd'], exp: 3700 },
};
const ended: SessionEvent = { type: 'SessionEnded', data: { sidHash, reason: 'logout' } };
const code = (c: string) => (e: unknown) => e instanceof SessionError && e.code === c;
const delivery = { sidHash, clientId: 'app', jti: 'j', attempt: 1 };

describe('session decider', () => {
  it('starts a session once', () => {
    given([])
      .when({ type: 'StartSession', sidHash, sub: 'u', authTime: 100, amr: ['pwd'], exp: 3700 })
      .then([started]);
    given([started])
      .when({ type: 'StartSession', sidHash, sub: 'u', authTime: 100, amr: ['pwd'], exp: 3700 })
      .thenThrows(code('session_exists'));
  });
  it('ends a started session once; an unknown session cannot end', () => {
    given([started]).when({ type: 'EndSession', sidHash, reason: 'logout' }).then([ended]);
    given([started, ended]).when({ type: 'EndSession', sidHash, reason: 'again' }).then([]);
    given([]).when({ type: 'EndSession', sidHash, reason: 'logout' }).thenThrows(code('session_not_found'));
  });
  it('records a back-channel delivery and schedules a failed one with a doubling backoff', () => {
    given([started, ended])
      .when({ type: 'RecordLogoutDelivered', ...delivery })
      .then([{ type: 'BackchannelLogoutDelivered', data: delivery }]);
    given([started, ended])
      .when({ type: 'RecordLogoutFailed', ...delivery, attempt: 3, error: 'HTTP 503', now: 0 })
      .then([
        {
          type: 'BackchannelLogoutFailed',
          data: { ...delivery, attempt: 3, error: 'HTTP 503', nextAttemptAt: new Date(8000).toISOString() },
        },
      ]);
  });
  it('gives a delivery up after the eighth attempt, and keeps at most 500 characters of the error', () => {
    given([started, ended])
      .when({ type: 'RecordLogoutFailed', ...delivery, attempt: 8, error: 'x'.repeat(600), now: 0 })
      .then([
        {
          type: 'BackchannelLogoutFailed',
          data: { ...delivery, attempt: 8, error: 'x'.repeat(500), nextAttemptAt: null },
        },
      ]);
  });
});
