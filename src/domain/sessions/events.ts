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

export const SessionEnded = defineEvent('SessionEnded', 1, Type.Object({ sidHash: Sha256, reason: Type.String({ minLength: 1, maxLength: 200 }) }));

export const sessionEvents = [SessionStarted, SessionEnded];
export type SessionStartedEvent = EventOf<typeof SessionStarted>;
export type SessionEndedEvent = EventOf<typeof SessionEnded>;
