import { createHash } from 'node:crypto';
import escapeHtml from 'escape-html';
import type { FastifyReply } from 'fastify';

export const esc = (value: string): string => escapeHtml(value);

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002;width:min(22rem,90vw)}
h1{font-size:1.25rem;margin:0 0 1rem}label{display:block;margin:.75rem 0 .25rem}input{width:100%;padding:.5rem;box-sizing:border-box}
button{margin-top:1rem;padding:.6rem 1rem;margin-right:.5rem}.error{color:#a00}ul{padding-left:1.2rem}`;

export const styleHash = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;
export const scriptHash = (script: string) => `'sha256-${createHash('sha256').update(script).digest('base64')}'`;

export interface PageSecurity {
  /** Origins the page's forms may post to, beyond this server. */
  formAction?: string[];
  /** CSP source for the one inline script a page may carry. */
  script?: string;
  /** Origins allowed to frame the page; none by default (clickjacking, RFC 9700 §4.16). */
  frameAncestors?: string[];
}

/** Every HTML page: no caching, no framing unless asked, no script but the one named by its hash. */
export function sendPage(reply: FastifyReply, status: number, title: string, body: string, security: PageSecurity = {}): FastifyReply {
  const frame = security.frameAncestors?.length ? security.frameAncestors.join(' ') : "'none'";
  const csp = [
    "default-src 'none'",
    `style-src ${styleHash}`,
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
  return reply.send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`);
}

export function errorPage(reply: FastifyReply, status: number, message: string): FastifyReply {
  return sendPage(reply, status, 'Sign-in error', `<h1>This request cannot continue</h1><p class="error">${esc(message)}</p>`);
}
