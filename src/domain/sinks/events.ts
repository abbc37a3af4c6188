import { Type } from '@sinclair/typebox';
import { defineEvent, IsoDateTime, type EventsOf } from '../events/catalogue.js';

/** The sink's signing secret, sealed under KEY_ENCRYPTION_SECRET as private keys are (never in the clear). */
export const SealedSecret = Type.Object({
  enc: Type.Literal('A256GCM'),
  kdf: Type.Literal('scrypt'),
  salt: Type.String(),
  iv: Type.String(),
  tag: Type.String(),
  ciphertext: Type.String(),
});

const Filter = {
  types: Type.Optional(Type.Array(Type.String())),
  categories: Type.Optional(Type.Array(Type.String())),
};

/** An operator set a webhook sink through GraphQL (created, or replaced whole; its position stays). */
const EventSinkSet = defineEvent(
  'EventSinkSet',
  1,
  Type.Object({
    id: Type.String(),
    url: Type.String(),
    secret: SealedSecret,
    ...Filter,
    parkAfterSeconds: Type.Integer({ minimum: 1 }),
  }),
);
/** The sink is gone: nothing more is delivered to it. */
const EventSinkRemoved = defineEvent('EventSinkRemoved', 1, Type.Object({ id: Type.String() }));
/**
 * Deliveries failed for parkAfterSeconds: the sink stays at `position` (the last event delivered) until resumed;
 * nothing after it is skipped.
 */
const EventSinkParked = defineEvent(
  'EventSinkParked',
  1,
  Type.Object({
    id: Type.String(),
    position: Type.String({ pattern: '^[0-9]+$' }),
    failingSince: IsoDateTime,
    lastError: Type.String(),
  }),
);
/** An operator resumed a parked sink: delivery starts again at its position. */
const EventSinkResumed = defineEvent('EventSinkResumed', 1, Type.Object({ id: Type.String() }));

export const sinkEvents = [EventSinkSet, EventSinkRemoved, EventSinkParked, EventSinkResumed];
export type SinkEvent = EventsOf<typeof sinkEvents>;

/** One stream for every sink set through GraphQL, and for the parking of any sink (a file's too). */
export const SINKS_STREAM = 'sinks';
