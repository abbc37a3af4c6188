import type { FastifyReply } from 'fastify';
import type { ResponseTarget } from '../../oauth/authorizationRequest.js';
import { errorDescription } from '../../oauth/errors.js';
import { esc, formActionSource, pageStrings, scriptHash, sendPage } from './layout.js';

const AUTO_SUBMIT = 'document.forms[0].submit()';

/**
 * The web_message page's only script, the same bytes on every page (so one CSP hash allows it): it
 * reads the response from an inert JSON block and posts it to the opener or parent, to the redirect
 * URI's origin only — never `*` — then closes a popup, a moment later so the message is delivered
 * before an opener polling `closed` sees it gone.
 */
const POST_MESSAGE =
  "(function(){var d=JSON.parse(document.getElementById('tl-response').textContent);" +
  'var w=window.opener||window.parent;if(w&&w!==window){w.postMessage(d.message,d.targetOrigin)}' +
  'if(window.opener){setTimeout(function(){window.close()},500)}})()';

/** JSON that cannot end a script block or break a line in any parser (<, >, &, U+2028, U+2029). */
function inertJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * Sends the authorization response (or error) to the client, always with `state` as sent and `iss`
 * (RFC 9207): as query parameters (a 303 redirect), as an auto-posted form (Form Post Response
 * Mode), or as a postMessage to the window that opened or framed this page (Web Message Response Mode).
 */
export function sendAuthorizationResponse(
  reply: FastifyReply,
  target: ResponseTarget,
  issuer: string,
  params: Record<string, string>,
): FastifyReply {
  const all: Record<string, string> = {
    ...params,
    ...(target.state !== null ? { state: target.state } : {}),
    iss: issuer,
  };
  // RFC 6749 §4.1.2.1: the description's characters and length, whatever built it (OAuthError already has them).
  if (all.error_description !== undefined) all.error_description = errorDescription(all.error_description);
  const { t } = pageStrings(reply);
  if (target.responseMode === 'web_message') {
    const origin = new URL(target.redirectUri).origin;
    const data = { targetOrigin: origin, message: { type: 'authorization_response', response: all } };
    return sendPage(
      reply,
      200,
      t.continue,
      `<p>${esc(t.returning)}</p><script type="application/json" id="tl-response">${inertJson(data)}</script>` +
        `<script>${POST_MESSAGE}</script>`,
      {
        script: scriptHash(POST_MESSAGE),
        // Only the app itself may frame this page (silent renewal in its hidden iframe).
        frameAncestors: [origin],
      },
    );
  }
  if (target.responseMode === 'form_post') {
    const inputs = Object.entries(all)
      .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
      .join('');
    return sendPage(
      reply,
      200,
      t.continue,
      `<form method="post" action="${esc(target.redirectUri)}">${inputs}<noscript><p>${esc(t.returning)}</p>` +
        `<button class="primary" type="submit">${esc(t.continue)}</button></noscript></form><script>` +
        `${AUTO_SUBMIT}</script>`,
      { formAction: [formActionSource(target.redirectUri)], script: scriptHash(AUTO_SUBMIT) },
    );
  }
  const url = new URL(target.redirectUri);
  for (const [k, v] of Object.entries(all)) url.searchParams.append(k, v);
  return reply.code(303).header('cache-control', 'no-store').header('location', url.toString()).send();
}
