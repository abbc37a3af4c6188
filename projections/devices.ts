import type { DeviceEvent, DeviceRequestedEvent } from '../src/domain/devices/events.js';
import { defineProjection } from './projection.js';
import { dataOf } from './viewMaps.js';

type Answer<T extends DeviceEvent['type']> = Extract<DeviceEvent, { type: T }>['data'];

/** A device authorization as polling and the verification page see it. */
export type KnownDevice = DeviceRequestedEvent['data'] & {
  status: 'pending' | 'approved' | 'denied' | 'expired';
  grantId: string | null;
};

/**
 * Device authorizations until they expire, by the hash of the device code (what a poll presents: one map lookup,
 * no ledger read) and, while unanswered, by the hash of the user code (what a person types).
 */
interface DevicesView {
  byDeviceCodeHash: Map<string, KnownDevice>;
  byUserCodeHash: Map<string, KnownDevice>;
  byId: Map<string, KnownDevice>;
}

function answer(v: DevicesView, deviceId: string, status: KnownDevice['status'], grantId: string | null): DevicesView {
  const device = v.byId.get(deviceId);
  if (!device) return v;
  device.status = status;
  device.grantId = grantId;
  // Answered once: the user code names nothing any more.
  v.byUserCodeHash.delete(device.userCodeHash);
  return v;
}

export const devicesProjection = defineProjection<DevicesView>({
  name: 'devices',
  version: 1,
  initialState: () => ({ byDeviceCodeHash: new Map(), byUserCodeHash: new Map(), byId: new Map() }),
  on: {
    DeviceAuthorizationRequested: (v, e) => {
      const device: KnownDevice = { ...dataOf<DeviceRequestedEvent['data']>(e), status: 'pending', grantId: null };
      v.byDeviceCodeHash.set(device.deviceCodeHash, device);
      v.byUserCodeHash.set(device.userCodeHash, device);
      v.byId.set(device.deviceId, device);
      return v;
    },
    DeviceAuthorizationApproved: (v, e) => {
      const d = dataOf<Answer<'DeviceAuthorizationApproved'>>(e);
      return answer(v, d.deviceId, 'approved', d.grantId);
    },
    DeviceAuthorizationExpired: (v, e) =>
      answer(v, dataOf<Answer<'DeviceAuthorizationExpired'>>(e).deviceId, 'expired', null),
    DeviceAuthorizationDenied: (v, e) =>
      answer(v, dataOf<Answer<'DeviceAuthorizationDenied'>>(e).deviceId, 'denied', null),
  },
});

/** The unanswered device authorizations past their expiry: the sweep records how they ended before it drops them. */
export function expiredPendingDevices(v: DevicesView, nowSeconds: number): KnownDevice[] {
  const expired: KnownDevice[] = [];
  for (const d of v.byId.values()) if (d.status === 'pending' && d.exp <= nowSeconds) expired.push(d);
  return expired;
}

/**
 * Drops device authorizations past their expiry (an approved one's code lives no longer), except unanswered ones:
 * they stay until their DeviceAuthorizationExpired is applied. Called from a timer.
 */
export function evictExpiredDevices(v: DevicesView, nowSeconds: number): void {
  for (const [id, d] of v.byId) {
    if (d.exp > nowSeconds || d.status === 'pending') continue;
    v.byId.delete(id);
    v.byDeviceCodeHash.delete(d.deviceCodeHash);
    v.byUserCodeHash.delete(d.userCodeHash);
  }
}
