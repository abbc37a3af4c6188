import { createHash } from 'node:crypto';
import escapeHtml from 'escape-html';
import type { FastifyReply } from 'fastify';
import { localeOf, stringsFor, type Locale, type Strings } from './strings.js';

export const esc = (value: string): string => escapeHtml(value);

// System fonts, one column, contrast ≥ 4.5:1 for every text colour (WCAG 2.2 AA), and a focus ring
// that shows on every control.
const STYLE =
  `*{box-sizing:border-box}\n` +
  `body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;background:#eef1f5;margin:0;` +
  `display:flex;min-height:100vh;align-items:center;justify-content:center}\n` +
  `main{background:#fff;padding:2rem;border-radius:12px;box-shadow:0 2px 12px #0002;width:min(26rem,92vw)}\n` +
  `h1{font-size:1.3rem;line-height:1.3;margin:0 0 1rem}p{margin:.5rem 0}\n` +
  `.app{display:flex;align-items:center;gap:.75rem;margin-bottom:1rem;color:#57606a;font-size:.9rem}` +
  `.app img{width:48px;height:48px;object-fit:contain;border-radius:8px}\n` +
  `.app a{color:#0b57d0}\n` +
  `label{display:block;margin:.9rem 0 .3rem;font-weight:600}\n` +
  `input:not([type=hidden]){width:100%;padding:.6rem .7rem;font:inherit;border:1px solid #8c959f;` +
  `border-radius:6px}\n` +
  `.actions{display:flex;flex-wrap:wrap;gap:.6rem;margin-top:1.4rem}\n` +
  `button,.button{font:inherit;font-weight:600;padding:.6rem 1.2rem;border-radius:6px;border:1px solid #0b57d0;` +
  `cursor:pointer;text-decoration:none;display:inline-block}\n` +
  `.primary{background:#0b57d0;color:#fff}.secondary{background:#fff;color:#0b57d0}\n` +
  `.link{background:none;border:none;padding:0;color:#0b57d0;font-weight:400;text-decoration:underline}\n` +
  `:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}\n` +
  `.account{margin-top:1.2rem;padding-top:1rem;border-top:1px solid #d0d7de;font-size:.9rem;color:#57606a}` +
  `.account form{display:inline}\n` +
  `.error{color:#a40e26;font-weight:600}ul{padding-left:1.2rem}li{margin:.3rem 0}\n` +
  `dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem .8rem;font-size:.9rem;margin:1rem 0 0}` +
  `dt{color:#57606a}dd{margin:0;font-family:ui-monospace,monospace;word-break:break-all}`;

const styleHash = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;
export const scriptHash = (script: string) => `'sha256-${createHash('sha256').update(script).digest('base64')}'`;

/**
 * What a CSP source list needs to let a form reach `uri`, directly or through the 303 that answers it
 * (Chromium applies form-action to the redirects after a form post): its origin, or for a native
 * app's private-use scheme (RFC 8252 §7.1) the scheme, which is the whole of what it names.
 */
export function formActionSource(uri: string): string {
  const url = new URL(uri);
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol;
}

interface PageSecurity {
  /** Origins the page's forms may post to, or be redirected to after posting, beyond this server. */
  formAction?: string[];
  /** CSP source for the one inline script a page may carry. */
  script?: string;
  /** Origins allowed to frame the page; none by default (clickjacking, RFC 9700 §4.16). */
  frameAncestors?: string[];
  /** Origins images may come from (a client's registered logo); none by default. */
  img?: string[];
}

/** The wording of the page this request gets, and its language tag. */
export function pageStrings(reply: FastifyReply): { locale: Locale; t: Strings } {
  const locale = localeOf(reply.request);
  return { locale, t: stringsFor(locale) };
}

/** Every HTML page: no caching, no framing unless asked, no script but the one named by its hash. */
export function sendPage(
  reply: FastifyReply,
  status: number,
  title: string,
  body: string,
  security: PageSecurity = {},
): FastifyReply {
  const frame = security.frameAncestors?.length ? security.frameAncestors.join(' ') : "'none'";
  const csp = [
    "default-src 'none'",
    `style-src ${styleHash}`,
    ...(security.img?.length ? [`img-src ${security.img.join(' ')}`] : []),
    `script-src ${security.script ?? "'none'"}`,
    `form-action 'self' ${(security.formAction ?? []).join(' ')}`.trim(),
    `frame-ancestors ${frame}`,
    "base-uri 'none'",
  ].join('; ');
  reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', csp)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
  if (!security.frameAncestors?.length) reply.header('x-frame-options', 'DENY');
  const { locale } = pageStrings(reply);
  return reply.send(
    `<!doctype html><html lang="${locale}"><head><meta charset="utf-8">` +
      `<meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>` +
      `${STYLE}</style></head><body><main>${body}</main></body></html>`,
  );
}

/** The RFC 6749 error code a person can quote for a page's status; the reference finds the log line. */
const CODES: Record<number, string> = {
  400: 'invalid_request',
  401: 'access_denied',
  403: 'access_denied',
  429: 'temporarily_unavailable',
};

export function errorPage(reply: FastifyReply, status: number, message: string): FastifyReply {
  const { t } = pageStrings(reply);
  return sendPage(
    reply,
    status,
    t.errorTitle,
    `<h1>${esc(t.errorHeading)}</h1><p class="error" role="alert">${esc(message)}</p><p>${esc(t.errorNext)}</p>` +
      `<dl><dt>${esc(t.errorCode)}</dt><dd>${esc(CODES[status] ?? 'server_error')}</dd><dt>` +
      `${esc(t.reference)}</dt><dd>${esc(reply.request.id)}</dd></dl>`,
  );
}
