import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { approveDevice } from '../../src/application/deviceAuthorization.js';
import { deviceByDeviceCodeHash } from '../../src/application/queries/devices.js';
import { sha256 } from '../../src/crypto/hash.js';
import { createUser } from '../helpers/flow.js';
import { startInjectServer, type InjectServer } from '../helpers/injectServer.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import { removeDir } from '../helpers/server.js';
import { makeProof, proofKey } from '../helpers/dpop.js';

const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';
const ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** DPoP through the grant table: a grant plug-in added later binds its tokens like the others. */
describe('DPoP in every grant', () => {
  let server: InjectServer;
  before(async () => {
    server = await startInjectServer();
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  it('the device code grant binds the access token and the public client’s refresh token', async () => {
    const { clientId } = await registerClient(
      server,
      { grant_types: [DEVICE_CODE, 'refresh_token'], token_endpoint_auth_method: 'none', scope: 'openid' },
      null,
    );
    const user = await createUser(server);
    const tv: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
    const options = { [oauth.customFetch]: server.fetch, [oauth.allowInsecureRequests]: true };
    const issuer = new URL(server.url);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, options));
    const started = await oauth.processDeviceAuthorizationResponse(
      as,
      tv,
      await oauth.deviceAuthorizationRequest(as, tv, oauth.None(), { scope: 'openid' }, options),
    );
    await approveDevice(
      server.runtime.ports,
      {
        device: deviceByDeviceCodeHash(server.runtime.views, sha256(started.device_code))!,
        login: { sub: user.sub, authTime: 1, sid: null, amr: ['pwd'] },
      },
      { actor: 'user:test', correlationId: randomUUID() },
    );
    const key = await proofKey();
    const tokens = await oauth.processDeviceCodeResponse(
      as,
      tv,
      await oauth.deviceCodeGrantRequest(as, tv, oauth.None(), started.device_code, {
        ...options,
        DPoP: oauth.DPoP({}, key),
      }),
    );
    assert.equal(tokens.token_type, 'dpop');
    const rs = await registerClient(server, { scope: '' });
    const introspect = async (token: string) =>
      (await postForm(server, '/introspect', { token }, basic(rs.clientId, rs.secret!))).body as Record<
        string,
        unknown
      >;
    assert.deepEqual((await introspect(tokens.access_token)).cnf, { jkt: key.jkt });
    assert.deepEqual((await introspect(tokens.refresh_token!)).cnf, { jkt: key.jkt });
  });
});

/** FAPI 2.0 Security Profile §5.3.2.2: sender-constrained access tokens, by DPoP. */
describe('DPoP under the FAPI 2.0 Security Profile', () => {
  let server: InjectServer;
  before(async () => {
    server = await startInjectServer();
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  it('a FAPI 2.0 client gets no token without a DPoP proof, and a DPoP token with one', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kty: 'EC', kid: 'k1', alg: 'ES256', use: 'sig' };
    const { clientId } = await registerClient(
      server,
      { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] }, security_profile: 'fapi2' },
      null,
    );
    const assertion = async () => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(server.runtime.config.issuer)
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .sign(privateKey);
    };
    const form = async () => ({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_assertion_type: ASSERTION,
      client_assertion: await assertion(),
    });
    const refused = await postForm(server, '/token', await form());
    assert.equal(refused.status, 400, refused.text);
    assert.equal(refused.body.error, 'invalid_grant');
    assert.match(refused.body.error_description, /FAPI 2\.0/);
    const key = await proofKey();
    const ok = await postForm(server, '/token', await form(), {
      dpop: await makeProof(key, { htu: `${server.runtime.config.issuer}/token` }),
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.token_type, 'DPoP');
  });
});
