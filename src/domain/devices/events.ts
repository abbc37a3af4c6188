import { Type } from '@sinclair/typebox';
import { defineEvent, type EventOf, type EventsOf } from '../events/catalogue.js';

const Sha256 = Type.String({ minLength: 43, maxLength: 43 });
const EpochSeconds = Type.Integer({ minimum: 0 });
const Id = Type.String({ minLength: 1, maxLength: 64 });

/**
 * A device asked to be signed in (RFC 8628 §3.1). Its device code is a bearer secret and its user code a short one
 * a person types: only their hashes are recorded.
 */
export const DeviceAuthorizationRequested = defineEvent(
  'DeviceAuthorizationRequested',
  1,
  Type.Object({
    deviceId: Id,
    deviceCodeHash: Sha256,
    userCodeHash: Sha256,
    clientId: Type.String({ minLength: 1 }),
    scope: Type.String(),
    resource: Type.Array(Type.String()),
    /** Seconds between polls the device was told (RFC 8628 §3.2 `interval`). */
    interval: Type.Integer({ minimum: 1 }),
    iat: EpochSeconds,
    exp: EpochSeconds,
  }),
);

/** A signed-in person approved the device: the grant its tokens belong to starts with this approval. */
const DeviceAuthorizationApproved = defineEvent(
  'DeviceAuthorizationApproved',
  1,
  Type.Object({ deviceId: Id, sub: Type.String({ minLength: 1 }), grantId: Id, scope: Type.String() }),
);

/** A signed-in person denied the device (RFC 8628 §3.5 access_denied). */
const DeviceAuthorizationDenied = defineEvent(
  'DeviceAuthorizationDenied',
  1,
  Type.Object({ deviceId: Id, sub: Type.String({ minLength: 1 }) }),
);

/** Nobody answered before the codes expired: recorded by the server's sweep, so the ledger shows how it ended. */
const DeviceAuthorizationExpired = defineEvent('DeviceAuthorizationExpired', 1, Type.Object({ deviceId: Id }));

export const deviceEvents = [
  DeviceAuthorizationRequested,
  DeviceAuthorizationApproved,
  DeviceAuthorizationDenied,
  DeviceAuthorizationExpired,
];
export type DeviceRequestedEvent = EventOf<typeof DeviceAuthorizationRequested>;
export type DeviceEvent = EventsOf<typeof deviceEvents>;
