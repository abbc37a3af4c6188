import { devicesProjection, type KnownDevice } from '../../../projections/devices.js';
import type { Views } from './views.js';

export type { KnownDevice };

/** The device authorization a poll's device code names, while it is remembered. */
export const deviceByDeviceCodeHash = (views: Views, hash: string): KnownDevice | undefined =>
  views(devicesProjection).byDeviceCodeHash.get(hash);

/** The unanswered device authorization a typed user code names. */
export const pendingDeviceByUserCodeHash = (views: Views, hash: string): KnownDevice | undefined =>
  views(devicesProjection).byUserCodeHash.get(hash);

/** A device authorization by its id, while it is remembered. */
export const deviceById = (views: Views, deviceId: string): KnownDevice | undefined =>
  views(devicesProjection).byId.get(deviceId);
