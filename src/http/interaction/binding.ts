import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const BINDING_COOKIE = 'tl_bind';

interface CookieOptions {
  httpOnly: true;
  sameSite: 'lax';
  secure: boolean;
  path: '/';
}

export const cookieOptions = (issuer: string): CookieOptions => ({
  httpOnly: true,
  sameSite: 'lax',
  secure: issuer.startsWith('https:'),
  path: '/',
});

/**
 * The browser's binding cookie (a browser-session cookie), minted when missing: every sealed form is
 * bound to it, so a form only continues in the browser that was shown it.
 */
export function browserBinding(request: FastifyRequest, reply: FastifyReply, options: CookieOptions): string {
  const existing = request.cookies[BINDING_COOKIE];
  if (existing && existing.length >= 32) return existing;
  const fresh = randomBytes(32).toString('base64url');
  reply.setCookie(BINDING_COOKIE, fresh, options);
  // Later code in this request (a second form) binds to the same value.
  request.cookies[BINDING_COOKIE] = fresh;
  return fresh;
}
