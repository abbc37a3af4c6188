import type { Decider } from '../decider.js';
import { refusalWithReasons } from '../refusal.js';
import type { DeviceEvent, DeviceRequestedEvent } from './events.js';

type Requested = DeviceRequestedEvent['data'];

type DeviceState =
  | null
  | (Requested & { status: 'pending' | 'approved' | 'denied' | 'expired'; sub: string | null; grantId: string | null });

export type DeviceCommand =
  | { type: 'RequestDeviceAuthorization'; request: Requested }
  | { type: 'ApproveDevice'; sub: string; grantId: string; scope: string; now: number }
  | { type: 'DenyDevice'; sub: string; now: number }
  | { type: 'ExpireDevice'; now: number };

/** RFC 8628 §3.5 names what a device is told; a person at the verification page is told the same in words. */
export class DeviceRefusal extends refusalWithReasons('DeviceRefusal', {
  unknown_device: 'invalid_grant',
  expired: 'invalid_grant',
  already_answered: 'invalid_grant',
  not_expired: 'invalid_request',
}) {}

function evolveDevice(state: DeviceState, event: DeviceEvent): DeviceState {
  switch (event.type) {
    case 'DeviceAuthorizationRequested':
      return { ...event.data, status: 'pending', sub: null, grantId: null };
    case 'DeviceAuthorizationApproved':
      return state && { ...state, status: 'approved', sub: event.data.sub, grantId: event.data.grantId };
    case 'DeviceAuthorizationDenied':
      return state && { ...state, status: 'denied', sub: event.data.sub };
    case 'DeviceAuthorizationExpired':
      return state && { ...state, status: 'expired' };
  }
}

/** A device authorization is answered once, by one person, before it expires. */
function answerable(state: DeviceState, now: number): NonNullable<DeviceState> {
  if (!state) throw new DeviceRefusal('unknown_device', 'there is no such device authorization');
  if (state.status !== 'pending') throw new DeviceRefusal('already_answered', 'this device was already answered');
  if (now >= state.exp) throw new DeviceRefusal('expired', 'the code has expired');
  return state;
}

export const deviceDecider: Decider<DeviceCommand, DeviceState, DeviceEvent> = {
  initialState: () => null,
  evolve: evolveDevice,
  decide: (command, state) => {
    switch (command.type) {
      case 'RequestDeviceAuthorization':
        // A fresh UUIDv7 names the stream: a second request on it is a fault of the caller.
        if (state) throw new DeviceRefusal('already_answered', 'this device authorization exists');
        return [{ type: 'DeviceAuthorizationRequested', data: command.request }];
      case 'ApproveDevice': {
        const { deviceId } = answerable(state, command.now);
        const { sub, grantId, scope } = command;
        return [{ type: 'DeviceAuthorizationApproved', data: { deviceId, sub, grantId, scope } }];
      }
      case 'DenyDevice': {
        const { deviceId } = answerable(state, command.now);
        return [{ type: 'DeviceAuthorizationDenied', data: { deviceId, sub: command.sub } }];
      }
      case 'ExpireDevice': {
        if (!state) throw new DeviceRefusal('unknown_device', 'there is no such device authorization');
        if (state.status !== 'pending') throw new DeviceRefusal('already_answered', 'this device was already answered');
        if (command.now < state.exp) throw new DeviceRefusal('not_expired', 'the device authorization has not expired');
        return [{ type: 'DeviceAuthorizationExpired', data: { deviceId: state.deviceId } }];
      }
    }
  },
};
