import type { FastifyReply } from 'fastify';
import { clientHeader, type ClientDisplay } from './clientHeader.js';
import { esc, formActionSource, pageStrings, sendPage } from './layout.js';
import { resourceLabel } from './resourceLabel.js';
import type { Locale, Strings } from './strings.js';

interface FormContext {
  interaction: string;
  csrf: string;
  client: ClientDisplay;
  /** Where a 303 after this page's form may lead (a query-mode redirect URI), if anywhere off this server. */
  redirectTarget: string | null;
}

type LoginError = { kind: 'wrong' } | { kind: 'throttled'; seconds: number };

/** The hidden fields every step posts back; the language goes along so the next page keeps it. */
const hidden = (ctx: FormContext, locale: Locale) =>
  `<input type="hidden" name="interaction" value="${esc(ctx.interaction)}">` +
  `<input type="hidden" name="csrf" value="${esc(ctx.csrf)}">` +
  `<input type="hidden" name="ui_locales" value="${locale}">`;

const formAction = (ctx: FormContext) => (ctx.redirectTarget ? [formActionSource(ctx.redirectTarget)] : []);

const errorText = (t: Strings, error: LoginError) =>
  error.kind === 'wrong' ? t.wrongPassword : t.throttled(error.seconds);

export function loginPage(
  reply: FastifyReply,
  ctx: FormContext & { username?: string; error?: LoginError; status?: number },
): FastifyReply {
  const { t, locale } = pageStrings(reply);
  const header = clientHeader(t, ctx.client);
  const invalid = ctx.error ? ' aria-invalid="true" aria-describedby="login-error"' : '';
  const error = ctx.error ? `<p class="error" id="login-error" role="alert">${esc(errorText(t, ctx.error))}</p>` : '';
  // The first empty field gets the focus: the username, or the password when the username is known.
  const focusUser = ctx.username ? '' : ' autofocus';
  const focusPassword = ctx.username ? ' autofocus' : '';
  return sendPage(
    reply,
    ctx.status ?? 200,
    t.signInTitle,
    `${header.html}<h1>${esc(t.signInHeading(ctx.client.name))}</h1>${error}\n` +
      `<form method="post" action="login">${hidden(ctx, locale)}\n` +
      `<label for="username">${esc(t.username)}</label>` +
      `<input id="username" name="username" autocomplete="username" required${focusUser}${invalid} ` +
      `value="${esc(ctx.username ?? '')}">\n` +
      `<label for="password">${esc(t.password)}</label>` +
      `<input id="password" name="password" type="password" autocomplete="current-password" ` +
      `required${focusPassword}${invalid}>\n` +
      `<div class="actions"><button type="submit" class="primary">${esc(t.signIn)}</button></div></form>`,
    { formAction: formAction(ctx), img: header.img },
  );
}

export function consentPage(
  reply: FastifyReply,
  ctx: FormContext & { scopes: string[]; resources: readonly string[]; account?: string; deviceUserCode?: string },
): FastifyReply {
  const { t, locale } = pageStrings(reply);
  const header = clientHeader(t, ctx.client);
  // RFC 8707: where the permissions apply, as consent is given for these resources and no others.
  const resources = ctx.resources
    .map((r) => `<li><code title="${esc(r)}">${esc(resourceLabel(r))}</code></li>`)
    .join('');
  const items = ctx.scopes
    .map(
      (s) =>
        `<li>${
          Object.hasOwn(t.scopes, s) ? `${esc(t.scopes[s])} (<code>${esc(s)}</code>)` : `<code>${esc(s)}</code>`
        }</li>`,
    )
    .join('');
  // "Not you?" posts the same interaction to the login page: signing in as someone else continues it.
  const account = ctx.account
    ? `<div class="account">${esc(t.signedInAs)} <strong>${esc(ctx.account)}</strong>` +
      `. <form method="post" action="login-switch">${hidden(ctx, locale)}<button type="submit" class="link">` +
      `${esc(t.notYou)}</button></form></div>`
    : '';
  return sendPage(
    reply,
    200,
    t.consentTitle,
    `${header.html}<h1>${esc(t.consentHeading(ctx.client.name))}</h1>\n` +
      `<p>${esc(t.asksFor)}</p><ul>${items || `<li>${esc(t.noPermissions)}</li>`}</ul>\n` +
      (resources ? `<p>${esc(t.forResources)}</p><ul class="resources">${resources}</ul>\n` : '') +
      // RFC 8628 §5.4: the person confirms it is their device, not one an attacker sent them the code of.
      (ctx.deviceUserCode
        ? `<p class="device-code"><strong>${esc(t.deviceConfirmCode(ctx.deviceUserCode))}</strong></p>\n`
        : '') +
      `<form method="post" action="consent">${hidden(ctx, locale)}\n` +
      `<div class="actions"><button type="submit" name="decision" value="approve" class="primary" autofocus>` +
      `${esc(t.allow)}</button><button type="submit" name="decision" value="deny" class="secondary">` +
      `${esc(t.deny)}</button></div></form>${account}`,
    { formAction: formAction(ctx), img: header.img },
  );
}
