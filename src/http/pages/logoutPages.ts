import type { FastifyReply } from 'fastify';
import { clientHeader, type ClientDisplay } from './clientHeader.js';
import { esc, formActionSource, pageStrings, sendPage } from './layout.js';

/** RP-Initiated Logout's question, when the request could have come from any page (logout CSRF). */
export function logoutConfirmPage(
  reply: FastifyReply,
  ctx: { interaction: string; csrf: string; client?: ClientDisplay; redirect: string | null },
): FastifyReply {
  const { t, locale } = pageStrings(reply);
  const header = ctx.client ? clientHeader(t, ctx.client) : { html: '', img: [] };
  return sendPage(
    reply,
    200,
    t.signOutTitle,
    `${header.html}<h1>${esc(t.signOutHeading)}</h1><p>` +
      `${esc(ctx.client ? t.signOutOf(ctx.client.name) : t.signOutAny)}</p>\n` +
      `<form method="post" action="logout/confirm">` +
      `<input type="hidden" name="interaction" value="${esc(ctx.interaction)}">` +
      `<input type="hidden" name="csrf" value="${esc(ctx.csrf)}">` +
      `<input type="hidden" name="ui_locales" value="${locale}">\n` +
      `<div class="actions"><button type="submit" name="decision" value="logout" class="primary" autofocus>` +
      `${esc(t.signOut)}</button><button type="submit" name="decision" value="cancel" class="secondary">` +
      `${esc(t.cancel)}</button></div></form>`,
    // Signing out ends in a 303 to the registered post_logout_redirect_uri: the form may lead there.
    { formAction: ctx.redirect ? [formActionSource(ctx.redirect)] : [], img: header.img },
  );
}

export function signedOutPage(reply: FastifyReply): FastifyReply {
  const { t } = pageStrings(reply);
  return sendPage(reply, 200, t.signedOutTitle, `<h1>${esc(t.signedOut)}</h1><p>${esc(t.closeWindow)}</p>`);
}

/** The answer to Cancel: nothing changed. */
export function stillSignedInPage(reply: FastifyReply): FastifyReply {
  const { t } = pageStrings(reply);
  return sendPage(reply, 200, t.stillSignedInTitle, `<h1>${esc(t.stillSignedIn)}</h1><p>${esc(t.closeWindow)}</p>`);
}
