import type { FastifyReply } from 'fastify';
import { clientHeader, type ClientDisplay } from './clientHeader.js';
import { esc, pageStrings, sendPage } from './layout.js';

type CodeError = { kind: 'unknown' } | { kind: 'throttled'; seconds: number };

/** RFC 8628 §3.3: where a person types the code their device shows (or finds it filled in from the link). */
export function deviceCodePage(
  reply: FastifyReply,
  ctx: { userCode?: string; error?: CodeError; status?: number } = {},
): FastifyReply {
  const { t, locale } = pageStrings(reply);
  const invalid = ctx.error ? ' aria-invalid="true" aria-describedby="code-error"' : '';
  const message = ctx.error && (ctx.error.kind === 'unknown' ? t.deviceUnknownCode : t.throttled(ctx.error.seconds));
  const error = message ? `<p class="error" id="code-error" role="alert">${esc(message)}</p>` : '';
  return sendPage(
    reply,
    ctx.status ?? 200,
    t.deviceTitle,
    `<h1>${esc(t.deviceHeading)}</h1>${error}<p>${esc(t.deviceEnterCode)}</p>\n` +
      `<form method="post" action="device"><input type="hidden" name="ui_locales" value="${locale}">\n` +
      `<label for="user_code">${esc(t.userCode)}</label>` +
      `<input id="user_code" name="user_code" autocomplete="one-time-code" autocapitalize="characters" ` +
      `spellcheck="false" maxlength="32" required autofocus${invalid} value="${esc(ctx.userCode ?? '')}">\n` +
      `<div class="actions"><button type="submit" class="primary">${esc(t.continue)}</button></div></form>`,
  );
}

/** The end of a device sign-in: the person goes back to the device, which gets its tokens on its next poll. */
export function deviceDonePage(reply: FastifyReply, ctx: { approved: boolean; client: ClientDisplay }): FastifyReply {
  const { t } = pageStrings(reply);
  const header = clientHeader(t, ctx.client);
  return sendPage(
    reply,
    200,
    ctx.approved ? t.deviceApprovedTitle : t.deviceDeniedTitle,
    `${header.html}<h1>${esc(ctx.approved ? t.deviceApprovedTitle : t.deviceDeniedTitle)}</h1>` +
      `<p role="status">${esc(ctx.approved ? t.deviceApproved(ctx.client.name) : t.deviceDenied)}</p>`,
    { img: header.img },
  );
}
