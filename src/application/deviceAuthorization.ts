import { v7 as uuidv7 } from 'uuid';
import { deviceDecider, DeviceRefusal, type DeviceCommand } from '../domain/devices/decide.js';
import { deviceStream } from '../domain/devices/streams.js';
import { displayUserCode, generateUserCode } from '../domain/devices/userCode.js';
import type { CodeIssuedEvent } from '../domain/grants/events.js';
import type { ClientState } from '../domain/clients/state.js';
import { DEVICE_CODE_GRANT } from '../domain/clients/events.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { sha256 } from '../crypto/hash.js';
import { mintSecret } from '../crypto/secrets.js';
import { execute } from './execute.js';
import { runOnGrant } from './grantIssuance.js';
import { epochSeconds, type Ports } from './ports.js';
import { pendingDeviceByUserCodeHash, type KnownDevice } from './queries/devices.js';

/** RFC 8628 §3.2: how long a person has to approve, and how often the device may ask meanwhile. */
const DEVICE_CODE_LIFETIME_SECONDS = 600;
const DEVICE_POLL_INTERVAL_SECONDS = 5;
/** What the grant's code records as its redirect URI: a device flow redirects nowhere. */
export const DEVICE_GRANT_REDIRECT = DEVICE_CODE_GRANT;

interface IssuedDeviceAuthorization {
  deviceCode: string;
  /** As shown to the person: WDJB-MJHT. */
  userCode: string;
  expiresIn: number;
  interval: number;
}

/** Hashes the user code as the ledger and the views know it; the same code typed any way gives the same hash. */
export const userCodeHash = (code: string) => sha256(`user-code\0${code}`);

async function onDevice(ports: Pick<Ports, 'events'>, deviceId: string, command: DeviceCommand, ctx: CommandContext) {
  const { events } = await execute(ports.events, deviceStream(deviceId), deviceDecider, command, ctx);
  return events;
}

/** RFC 8628 §3.1–3.2: a device code (a 256-bit bearer secret) and a user code, recorded by their hashes only. */
export async function requestDeviceAuthorization(
  ports: Pick<Ports, 'clock' | 'events' | 'views'>,
  { client, scope, resource }: { client: ClientState; scope: string; resource: string[] },
  ctx: CommandContext,
): Promise<IssuedDeviceAuthorization> {
  const deviceCode = mintSecret('tldc');
  let userCode = generateUserCode();
  // Two pending requests never share a user code: the person's code names exactly one device.
  while (pendingDeviceByUserCodeHash(ports.views, userCodeHash(userCode))) userCode = generateUserCode();
  const now = epochSeconds(ports.clock);
  const deviceId = uuidv7();
  await onDevice(
    ports,
    deviceId,
    {
      type: 'RequestDeviceAuthorization',
      request: {
        deviceId,
        deviceCodeHash: sha256(deviceCode),
        userCodeHash: userCodeHash(userCode),
        clientId: client.clientId,
        scope,
        resource,
        interval: DEVICE_POLL_INTERVAL_SECONDS,
        iat: now,
        exp: now + DEVICE_CODE_LIFETIME_SECONDS,
      },
    },
    ctx,
  );
  return {
    deviceCode,
    userCode: displayUserCode(userCode),
    expiresIn: DEVICE_CODE_LIFETIME_SECONDS,
    interval: DEVICE_POLL_INTERVAL_SECONDS,
  };
}

/**
 * A signed-in person approved the device: a grant starts whose code is the device code (known by the same hash), so
 * the poll that follows redeems it exactly once, with the code flow's rules (reuse revokes the grant, refresh
 * rotation, ID token by scope). The grant is written first: a crash in between leaves an unreachable code, not a
 * device approved into nothing.
 */
export async function approveDevice(
  ports: Pick<Ports, 'cache' | 'clock' | 'events'>,
  { device, login }: { device: KnownDevice; login: Pick<CodeIssuedEvent['data'], 'sub' | 'authTime' | 'sid' | 'amr'> },
  ctx: CommandContext,
): Promise<void> {
  const now = epochSeconds(ports.clock);
  const grantId = uuidv7();
  const code: CodeIssuedEvent['data'] = {
    grantId,
    codeHash: device.deviceCodeHash,
    clientId: device.clientId,
    sub: login.sub,
    redirectUri: DEVICE_GRANT_REDIRECT,
    redirectUriSent: false,
    scope: device.scope,
    resource: device.resource,
    codeChallenge: null,
    nonce: null,
    authTime: login.authTime,
    sid: login.sid,
    exp: device.exp,
    ...(login.amr ? { amr: login.amr } : {}),
  };
  // Refused before anything is written when the device was answered or expired meanwhile.
  const command: DeviceCommand = { type: 'ApproveDevice', sub: login.sub, grantId, scope: device.scope, now };
  deviceDecider.decide(command, { ...device, sub: null });
  await runOnGrant(ports, grantId, { type: 'IssueCode', code }, ctx);
  await onDevice(ports, device.deviceId, command, ctx);
}

/** A signed-in person denied the device: its next poll is access_denied. */
export async function denyDevice(
  ports: Pick<Ports, 'clock' | 'events'>,
  { device, sub }: { device: KnownDevice; sub: string },
  ctx: CommandContext,
): Promise<void> {
  await onDevice(ports, device.deviceId, { type: 'DenyDevice', sub, now: epochSeconds(ports.clock) }, ctx);
}

/**
 * Records that nobody answered these devices in time (DeviceAuthorizationExpired), each once: another instance's
 * sweep, or an answer that came first, makes the decider refuse, and that refusal is the expected outcome.
 */
export async function expireDevices(
  ports: Pick<Ports, 'clock' | 'events'>,
  devices: readonly KnownDevice[],
  ctx: CommandContext,
): Promise<void> {
  const now = epochSeconds(ports.clock);
  for (const device of devices) {
    try {
      await onDevice(ports, device.deviceId, { type: 'ExpireDevice', now }, ctx);
    } catch (err) {
      if (!(err instanceof DeviceRefusal)) throw err;
    }
  }
}
