import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  approveDevice,
  DEVICE_GRANT_REDIRECT,
  denyDevice,
  userCodeHash,
} from '../../application/deviceAuthorization.js';
import { clientById } from '../../application/queries/clients.js';
import { deviceById, pendingDeviceByUserCodeHash, type KnownDevice } from '../../application/queries/devices.js';
import { sha256 } from '../../crypto/hash.js';
import { DeviceRefusal } from '../../domain/devices/decide.js';
import { displayUserCode, normalizeUserCode } from '../../domain/devices/userCode.js';
import type { AuthorizationRequest } from '../../oauth/authorizationRequest.js';
import type { Runtime } from '../../runtime.js';
import { UserCodeThrottle } from '../../security/userCodeThrottle.js';
import { clientDisplay } from '../pages/clientHeader.js';
import { deviceCodePage, deviceDonePage } from '../pages/devicePages.js';
import { errorPage, pageStrings } from '../pages/layout.js';
import { isFormEncoded } from '../formBody.js';

/** What the sealed interaction carries of a device sign-in: which device, and the code the person typed. */
export interface DeviceInteraction {
  deviceId: string;
  userCode: string;
}

type Begin = (
  request: FastifyRequest,
  reply: FastifyReply,
  device: { request: AuthorizationRequest; interaction: DeviceInteraction },
) => Promise<FastifyReply>;

type Session = { sub: string; sid: string; authTime: number; amr?: string[] };

/**
 * The request a device sign-in goes through login and consent with. Consent is always asked (RFC 8628 §5.4): the
 * person must see which application, and confirm the code, even when they allowed it before.
 */
function deviceRequest(device: KnownDevice): AuthorizationRequest {
  return {
    clientId: device.clientId,
    redirectUri: DEVICE_GRANT_REDIRECT,
    redirectUriSent: false,
    responseMode: 'query',
    state: null,
    scope: device.scope,
    resource: device.resource,
    codeChallenge: '',
    nonce: null,
    prompt: ['consent'],
    maxAge: null,
    loginHint: null,
    dpopJkt: null,
  };
}

/**
 * RFC 8628 §3.3: /device, where a person types the code their device shows (or arrives with it from
 * verification_uri_complete, filled in but not sent: they still confirm it), then signs in and answers on the
 * consent page. Wrong codes are throttled per address and across all addresses (src/security/userCodeThrottle.ts).
 * Returns how a consent answer for a device ends.
 */
export function deviceRoutes(app: FastifyInstance, runtime: Runtime, begin: Begin) {
  const views = runtime.views;
  const throttle = new UserCodeThrottle();
  const now = () => runtime.ports.clock();

  app.get('/device', async (request, reply) => {
    const typed = (request.query as Record<string, unknown>).user_code;
    return deviceCodePage(reply, { userCode: typeof typed === 'string' ? typed.slice(0, 32) : undefined });
  });

  app.post('/device', async (request, reply) => {
    if (!isFormEncoded(request.headers['content-type']))
      return errorPage(reply, 400, 'The code must be sent from the form on this page.');
    const typed = (request.body as Record<string, unknown>).user_code;
    const text = typeof typed === 'string' ? typed.slice(0, 64) : '';
    const wait = throttle.retryAfter(request.ip, now());
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      return deviceCodePage(reply, { userCode: text, status: 429, error: { kind: 'throttled', seconds: wait } });
    }
    const code = normalizeUserCode(text);
    const device = code === undefined ? undefined : pendingDeviceByUserCodeHash(views, userCodeHash(code));
    const client = device && clientById(views, device.clientId);
    if (!device || !client || client.disabled || device.exp * 1000 <= now()) {
      throttle.failed(request.ip, now());
      return deviceCodePage(reply, { userCode: text, status: 400, error: { kind: 'unknown' } });
    }
    return begin(request, reply, {
      request: deviceRequest(device),
      interaction: { deviceId: device.deviceId, userCode: displayUserCode(code!) },
    });
  });

  /** The answer is recorded by whom it was given; a device answered or expired meanwhile gets the code page's words. */
  async function answer(
    request: FastifyRequest,
    reply: FastifyReply,
    interaction: DeviceInteraction,
    session: Session,
    approved: boolean,
  ): Promise<FastifyReply> {
    const device = deviceById(views, interaction.deviceId);
    const ctx = { actor: `user:${session.sub}`, correlationId: request.id };
    try {
      if (!device) throw new DeviceRefusal('unknown_device', 'the device authorization is gone');
      if (approved) {
        await approveDevice(
          runtime.ports,
          {
            device,
            // The sid claim names the session without being its secret, as at /authorize.
            login: { sub: session.sub, authTime: session.authTime, sid: sha256(session.sid), amr: session.amr },
          },
          ctx,
        );
      } else {
        await denyDevice(runtime.ports, { device, sub: session.sub }, ctx);
      }
    } catch (err) {
      if (!(err instanceof DeviceRefusal)) throw err;
      return errorPage(reply, 400, pageStrings(reply).t.deviceUnknownCode);
    }
    const client = clientDisplay(device.clientId, clientById(views, device.clientId));
    return deviceDonePage(reply, { approved, client });
  }

  return {
    approve: (request: FastifyRequest, reply: FastifyReply, device: DeviceInteraction, session: Session) =>
      answer(request, reply, device, session, true),
    deny: (request: FastifyRequest, reply: FastifyReply, device: DeviceInteraction, session: Session) =>
      answer(request, reply, device, session, false),
  };
}
