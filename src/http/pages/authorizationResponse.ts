import type { FastifyReply } from 'fastify';
import type { ResponseTarget } from '../../oauth/authorizationRequest.js';
import { esc, scriptHash, sendPage } from './layout.js';

const AUTO_SUBMIT = 'document.forms[0].submit()';

/**
 * Sends the authorization response (or error) to the client's redirect URI, always with `state` as
 * sent and `iss` (RFC 9207): as query parameters (a 303 redirect) or as an auto-posted form
 * (OAuth 2.0 Form Post Response Mode).
 */
export function sendAuthorizationResponse(reply: FastifyReply, target: ResponseTarget, issuer: string, params: Record<string, string>): FastifyReply {
  const all: Record<string, string> = { ...params, ...(target.state !== null ? { state: target.state } : {}), iss: issuer };
  if (target.responseMode === 'form_post') {
    const inputs = Object.entries(all)
      .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
      .join('');
    const url = new URL(target.redirectUri);
    const origin = url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol;
    return sendPage(
      reply,
      200,
      'Continue',
      `<form method="post" action="${esc(target.redirectUri)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form><script>${AUTO_SUBMIT}</script>`,
      { formAction: [origin], script: scriptHash(AUTO_SUBMIT) },
    );
  }
  const url = new URL(target.redirectUri);
  for (const [k, v] of Object.entries(all)) url.searchParams.append(k, v);
  return reply.code(303).header('cache-control', 'no-store').header('location', url.toString()).send();
}
