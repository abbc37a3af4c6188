import { Type } from '@sinclair/typebox';
import { defineEvent, type EventOf } from '../events/catalogue.js';

const Sha256 = Type.String({ minLength: 43, maxLength: 43 });

/** A browser logged in. The session id is a bearer secret: only its hash is recorded. */
export const SessionStarted = defineEvent(
  'SessionStarted',
  1,
  Type.Object({
    sidHash: Sha256,
    sub: Type.String({ minLength: 1 }),
    authTime: Type.Integer({ minimum: 0 }),
    amr: Type.Array(Type.String()),
    exp: Type.Integer({ minimum: 0 }),
  }),
);

export const SessionEnded = defineEvent(
  'SessionEnded',
  1,
  Type.Object({ sidHash: Sha256, reason: Type.String({ minLength: 1, maxLength: 200 }) }),
);

/** A logout token reached a client's backchannel_logout_uri (OIDC Back-Channel Logout 1.0). */
export const BackchannelLogoutDelivered = defineEvent(
  'BackchannelLogoutDelivered',
  1,
  Type.Object({
    sidHash: Sha256,
    clientId: Type.String({ minLength: 1 }),
    jti: Type.String({ minLength: 1 }),
    attempt: Type.Integer({ minimum: 1 }),
  }),
);

/** A delivery failed; it is tried again at `nextAttemptAt`, or never when that is null (given up). */
export const BackchannelLogoutFailed = defineEvent(
  'BackchannelLogoutFailed',
  1,
  Type.Object({
    sidHash: Sha256,
    clientId: Type.String({ minLength: 1 }),
    jti: Type.String({ minLength: 1 }),
    attempt: Type.Integer({ minimum: 1 }),
    error: Type.String({ maxLength: 500 }),
    nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  }),
);

export const sessionEvents = [SessionStarted, SessionEnded, BackchannelLogoutDelivered, BackchannelLogoutFailed];
export type BackchannelDeliveredEvent = EventOf<typeof BackchannelLogoutDelivered>;
export type BackchannelFailedEvent = EventOf<typeof BackchannelLogoutFailed>;
export type SessionStartedEvent = EventOf<typeof SessionStarted>;
export type SessionEndedEvent = EventOf<typeof SessionEnded>;
