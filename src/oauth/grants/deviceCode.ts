import { readGrant } from '../../application/grantIssuance.js';
import { redeemAuthorizationCode } from '../../application/redeemCode.js';
import { deviceByDeviceCodeHash } from '../../application/queries/devices.js';
import { DEVICE_CODE_GRANT } from '../../domain/clients/events.js';
import { sha256 } from '../../crypto/hash.js';
import { OAuthError, invalidRequest } from '../errors.js';
import { PollPacer } from '../devicePolling.js';
import { toOAuthError } from './authorizationCode.js';
import { grantTokenResponse, type GrantHandler } from './grant.js';

const pacer = new PollPacer();
const refuse = (error: string, description: string) => new OAuthError(400, error, description);

/**
 * RFC 8628 §3.4–3.5: the device polls with its device code. While nobody has answered, a poll is one view lookup
 * (authorization_pending, or slow_down when it came too soon); once approved, the grant's code — the device code —
 * is redeemed exactly once, by the code flow's rules.
 */
export const deviceCodeGrant: GrantHandler = {
  grantType: DEVICE_CODE_GRANT,
  parameters: ['device_code'],
  async handle({ runtime, client, params, ctx, dpop }) {
    if (!params.device_code) throw invalidRequest('device_code is missing');
    const hash = sha256(params.device_code);
    const device = deviceByDeviceCodeHash(runtime.views, hash);
    // Another client's device code is no code at all to this one.
    if (!device || device.clientId !== client.client.clientId)
      throw refuse('invalid_grant', 'the device code is invalid');
    const now = runtime.ports.clock();
    if (device.status === 'denied') {
      pacer.forget(hash);
      throw refuse('access_denied', 'the user denied the request');
    }
    if (now >= device.exp * 1000) {
      pacer.forget(hash);
      throw refuse('expired_token', 'the device code has expired; start again');
    }
    if (device.status === 'pending') {
      if (pacer.poll(hash, device.interval, device.exp, now) === 'slow_down')
        throw refuse('slow_down', 'polling too fast: wait 5 seconds more between requests');
      throw refuse('authorization_pending', 'the user has not answered yet');
    }
    pacer.forget(hash);
    const grant = await readGrant(runtime.ports, device.grantId!);
    if (!grant.code) throw refuse('invalid_grant', 'the device code is invalid');
    try {
      const issued = await redeemAuthorizationCode(
        runtime.ports,
        {
          grantId: device.grantId!,
          code: params.device_code,
          client: client.client,
          redirectUri: undefined,
          codeVerifier: undefined,
          issued: grant.code,
          resource: [],
          jkt: dpop?.jkt,
        },
        ctx,
      );
      return grantTokenResponse(issued);
    } catch (err) {
      throw toOAuthError(err);
    }
  },
};
