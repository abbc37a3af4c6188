import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  approveDevice,
  denyDevice,
  expireDevices,
  requestDeviceAuthorization,
  userCodeHash,
} from '../../../src/application/deviceAuthorization.js';
import { readGrant } from '../../../src/application/grantIssuance.js';
import { deviceByDeviceCodeHash, pendingDeviceByUserCodeHash } from '../../../src/application/queries/devices.js';
import { redeemAuthorizationCode } from '../../../src/application/redeemCode.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { DeviceRefusal } from '../../../src/domain/devices/decide.js';
import { normalizeUserCode } from '../../../src/domain/devices/userCode.js';
import type { ClientState } from '../../../src/domain/clients/state.js';
import { memoryPorts, T0, type MemoryPorts } from '../../helpers/memoryPorts.js';
import { ctx, givenClient, givenUser, refusedWithoutWrite, typed } from './fixtures.js';

let ports: MemoryPorts;
let client: ClientState;
let sub: string;
beforeEach(async () => {
  ports = await memoryPorts();
  client = await givenClient(ports, 'tv', {
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    token_endpoint_auth_method: 'none',
    redirect_uris: [],
  });
  sub = await givenUser(ports);
});
afterEach(() => ports.close());

const login = () => ({ sub, authTime: T0 / 1000, sid: null, amr: ['pwd'] });

async function givenRequest() {
  const issued = await requestDeviceAuthorization(ports, { client, scope: 'openid read', resource: [] }, ctx);
  const device = deviceByDeviceCodeHash(ports.views, sha256(issued.deviceCode))!;
  return { issued, device };
}

describe('requestDeviceAuthorization', () => {
  it('records the request by the hashes of both codes, never the codes', async () => {
    const head = await ports.head();
    const { issued, device } = await givenRequest();
    assert.match(issued.userCode, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(issued.expiresIn, 600);
    assert.equal(issued.interval, 5);
    const written = ports.writtenAfter(head);
    assert.deepEqual(typed(written), ['DeviceAuthorizationRequested']);
    const text = JSON.stringify(written.map((e) => e.data));
    assert.ok(!text.includes(issued.deviceCode) && !text.includes(normalizeUserCode(issued.userCode)!));
    assert.equal(pendingDeviceByUserCodeHash(ports.views, userCodeHash(normalizeUserCode(issued.userCode)!)), device);
    assert.equal(device.status, 'pending');
  });
});

describe('approveDevice and denyDevice', () => {
  it('approval starts a grant whose code is the device code: it redeems once, with the code flow rules', async () => {
    const { issued, device } = await givenRequest();
    const head = await ports.head();
    await approveDevice(ports, { device, login: login() }, ctx);
    assert.deepEqual(typed(ports.writtenAfter(head)), ['AuthorizationCodeIssued', 'DeviceAuthorizationApproved']);
    const approved = deviceByDeviceCodeHash(ports.views, sha256(issued.deviceCode))!;
    assert.equal(approved.status, 'approved');
    const grant = await readGrant(ports, approved.grantId!);
    const tokens = await redeemAuthorizationCode(
      ports,
      {
        grantId: approved.grantId!,
        code: issued.deviceCode,
        client,
        redirectUri: undefined,
        codeVerifier: undefined,
        issued: grant.code!,
        resource: [],
      },
      ctx,
    );
    assert.ok(tokens.refreshToken && tokens.idToken);
    assert.equal(tokens.grant.sub, sub);
    assert.equal(pendingDeviceByUserCodeHash(ports.views, device.userCodeHash), undefined, 'the user code is spent');
  });

  it('records the expiry of a device nobody answered, once, however many sweeps ask', async () => {
    const { issued, device } = await givenRequest();
    const before = await ports.head();
    await expireDevices(ports, [device], ctx);
    assert.equal(await ports.head(), before, 'not before it expired');
    ports.now += 600_000;
    const head = await ports.head();
    await expireDevices(ports, [device], ctx);
    await expireDevices(ports, [device], ctx);
    assert.deepEqual(typed(ports.writtenAfter(head)), ['DeviceAuthorizationExpired']);
    assert.equal(deviceByDeviceCodeHash(ports.views, sha256(issued.deviceCode))!.status, 'expired');
  });

  it('records who denied; a second answer or one after expiry is refused and writes nothing', async () => {
    const { device } = await givenRequest();
    await denyDevice(ports, { device, sub }, ctx);
    await refusedWithoutWrite(ports, () => approveDevice(ports, { device, login: login() }, ctx), {
      class: DeviceRefusal,
      code: 'already_answered',
      error: 'invalid_grant',
    });
    const other = await givenRequest();
    ports.now += 600_000;
    await refusedWithoutWrite(ports, () => approveDevice(ports, { device: other.device, login: login() }, ctx), {
      class: DeviceRefusal,
      code: 'expired',
    });
  });
});
