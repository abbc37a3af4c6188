import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { approveDevice, denyDevice } from '../../src/application/deviceAuthorization.js';
import { deviceByDeviceCodeHash } from '../../src/application/queries/devices.js';
import { sha256 } from '../../src/crypto/hash.js';
import { toGrant } from '../../src/graphql/mappers.js';
import { createUser } from '../helpers/flow.js';
import { eventsSince } from '../helpers/fuzz.js';
import { startInjectServer, type InjectServer } from '../helpers/injectServer.js';
import { postForm, registerClient } from '../helpers/oauth.js';

const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';
const ctx = { actor: 'user:test', correlationId: 'device-test' };

/** RFC 8628 end to end over the token endpoint with oauth4webapi; the person's answer is given by the use cases. */
describe('device authorization grant (RFC 8628)', () => {
  let server: InjectServer;
  let as: oauth.AuthorizationServer;
  let tv: oauth.Client;
  let user: { sub: string };
  let clock = Date.now();
  const options = () => ({ [oauth.customFetch]: server.fetch, [oauth.allowInsecureRequests]: true });

  before(async () => {
    server = await startInjectServer({ clock: () => clock });
    const { clientId } = await registerClient(
      server,
      {
        grant_types: [DEVICE_CODE, 'refresh_token'],
        token_endpoint_auth_method: 'none',
        scope: 'openid profile offline_access',
      },
      null,
    );
    tv = { client_id: clientId, token_endpoint_auth_method: 'none' };
    const issuer = new URL(server.url);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, options()));
    user = await createUser(server);
  });
  after(() => server?.close());

  const start = async (scope = 'openid profile') => {
    const res = await oauth.deviceAuthorizationRequest(as, tv, oauth.None(), { scope }, options());
    return oauth.processDeviceAuthorizationResponse(as, tv, res);
  };
  const poll = (deviceCode: string) =>
    oauth
      .deviceCodeGrantRequest(as, tv, oauth.None(), deviceCode, options())
      .then((res) => oauth.processDeviceCodeResponse(as, tv, res));
  const device = (deviceCode: string) => deviceByDeviceCodeHash(server.runtime.views, sha256(deviceCode))!;
  const rejectsWith = async (promise: Promise<unknown>, error: string) => {
    await assert.rejects(promise, (e: unknown) => {
      assert.ok(e instanceof oauth.ResponseBodyError, String(e));
      assert.equal(e.error, error);
      return true;
    });
  };

  it('is in discovery', () => {
    assert.equal(as.device_authorization_endpoint, `${server.url}/device_authorization`);
    assert.ok(as.grant_types_supported?.includes(DEVICE_CODE));
  });

  it('answers pending, slow_down when polled too fast, then tokens once the person approved — exactly once', async () => {
    const started = await start();
    assert.match(started.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(started.verification_uri, `${server.url}/device`);
    assert.equal(started.verification_uri_complete, `${server.url}/device?user_code=${started.user_code}`);
    assert.equal(started.expires_in, 600);
    assert.equal(started.interval, 5);

    const head = await server.runtime.store.headPosition();
    await rejectsWith(poll(started.device_code), 'authorization_pending');
    await rejectsWith(poll(started.device_code), 'slow_down');
    assert.deepEqual(await eventsSince(server, head), [], 'polling writes nothing');

    await approveDevice(
      server.runtime.ports,
      { device: device(started.device_code), login: { sub: user.sub, authTime: 1, sid: null, amr: ['pwd'] } },
      ctx,
    );
    const tokens = await poll(started.device_code);
    assert.equal(tokens.token_type, 'bearer');
    assert.ok(tokens.access_token && tokens.refresh_token && tokens.id_token);
    assert.equal(oauth.getValidatedIdTokenClaims(tokens)!.sub, user.sub);
    // Operators see which person approved which device: the grant came from a device, its subject approved it.
    await server.runtime.ports.settleHistory();
    const grant = server.runtime.ports.history.grantsOf({ clientId: tv.client_id }).at(-1)!;
    assert.equal(grant.device, true);
    assert.equal(grant.sub, user.sub);
    assert.equal(toGrant(grant).requestedVia, 'DEVICE');

    // The device code was redeemed: presenting it again is a replay, and the grant it made dies (RFC 9700 §4.2).
    await rejectsWith(poll(started.device_code), 'invalid_grant');
    const refresh = oauth.refreshTokenGrantRequest(as, tv, oauth.None(), tokens.refresh_token, options());
    await rejectsWith(
      refresh.then((res) => oauth.processRefreshTokenResponse(as, tv, res)),
      'invalid_grant',
    );
  });

  it('answers access_denied once the person denied, and expired_token after 10 minutes; nothing written', async () => {
    const denied = await start();
    await denyDevice(server.runtime.ports, { device: device(denied.device_code), sub: user.sub }, ctx);
    const expiring = await start();
    const head = await server.runtime.store.headPosition();
    await rejectsWith(poll(denied.device_code), 'access_denied');
    clock += 600_000;
    await rejectsWith(poll(expiring.device_code), 'expired_token');
    clock -= 600_000;
    assert.deepEqual(await eventsSince(server, head), []);
  });

  it('refuses what is not a device flow, with the RFC errors and nothing written', async () => {
    const started = await start();
    const { clientId: other } = await registerClient(
      server,
      { grant_types: [DEVICE_CODE], token_endpoint_auth_method: 'none', scope: 'openid' },
      null,
    );
    const { clientId: noGrant } = await registerClient(
      server,
      {
        grant_types: ['authorization_code'],
        redirect_uris: ['https://app.example/cb'],
        token_endpoint_auth_method: 'none',
      },
      null,
    );
    const head = await server.runtime.store.headPosition();
    const cases: Array<[string, string, Record<string, string>, string]> = [
      [
        'another client’s device code',
        '/token',
        { grant_type: DEVICE_CODE, client_id: other, device_code: started.device_code },
        'invalid_grant',
      ],
      [
        'an unknown device code',
        '/token',
        { grant_type: DEVICE_CODE, client_id: tv.client_id, device_code: 'tldc_nothing' },
        'invalid_grant',
      ],
      ['no device code', '/token', { grant_type: DEVICE_CODE, client_id: tv.client_id }, 'invalid_request'],
      ['a client without the grant', '/device_authorization', { client_id: noGrant }, 'unauthorized_client'],
      ['an unknown client', '/device_authorization', { client_id: 'nobody' }, 'invalid_client'],
      [
        'a scope outside the client’s',
        '/device_authorization',
        { client_id: tv.client_id, scope: 'admin' },
        'invalid_scope',
      ],
    ];
    for (const [what, path, form, error] of cases) {
      const res = await postForm(server, path, form);
      assert.equal(res.body?.error, error, `${what}: ${res.text}`);
    }
    assert.deepEqual(await eventsSince(server, head), []);
  });
});
