import type { FastifyReply } from 'fastify';
import { esc, sendPage } from './layout.js';

interface FormContext {
  interaction: string;
  csrf: string;
  clientName: string;
}

const hidden = (ctx: FormContext) =>
  `<input type="hidden" name="interaction" value="${esc(ctx.interaction)}"><input type="hidden" name="csrf" value="${esc(ctx.csrf)}">`;

export function loginPage(reply: FastifyReply, ctx: FormContext & { username?: string; error?: string; status?: number }): FastifyReply {
  const error = ctx.error ? `<p class="error" role="alert">${esc(ctx.error)}</p>` : '';
  return sendPage(
    reply,
    ctx.status ?? 200,
    'Sign in',
    `<h1>Sign in to continue to ${esc(ctx.clientName)}</h1>${error}
<form method="post" action="login">${hidden(ctx)}
<label for="username">Username</label><input id="username" name="username" autocomplete="username" required value="${esc(ctx.username ?? '')}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>`,
  );
}

/** OIDC scope descriptions; other scopes are shown by name. */
const DESCRIPTIONS: Record<string, string> = {
  openid: 'Know who you are',
  profile: 'See your name and profile',
  email: 'See your email address',
  offline_access: 'Stay signed in when you are away',
};

export function consentPage(reply: FastifyReply, ctx: FormContext & { scopes: string[] }): FastifyReply {
  const items = ctx.scopes.map((s) => `<li><code>${esc(s)}</code>${DESCRIPTIONS[s] ? ` — ${esc(DESCRIPTIONS[s])}` : ''}</li>`).join('');
  return sendPage(
    reply,
    200,
    'Allow access',
    `<h1>${esc(ctx.clientName)} wants to access your account</h1>
<p>It asks for:</p><ul>${items || '<li>no specific permissions</li>'}</ul>
<form method="post" action="consent">${hidden(ctx)}
<button type="submit" name="decision" value="approve">Allow</button><button type="submit" name="decision" value="deny">Deny</button></form>`,
  );
}
