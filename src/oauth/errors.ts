import { Refusal } from '../domain/refusal.js';

/** RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E (no `"`, no `\`). */
const OUTSIDE_DESCRIPTION_CHARS = /[^\x20\x21\x23-\x5B\x5D-\x7E]/u;
const OUTSIDE_DESCRIPTION_CHARS_ALL = /[^\x20\x21\x23-\x5B\x5D-\x7E]/gu;
/** Descriptions echo what the client sent (a scope, a response_mode): a bound keeps the answer small. */
const MAX_ERROR_DESCRIPTION = 200;
const replacement = (c: string) => (c === '"' ? "'" : '?');

/**
 * The form every error_description takes on the wire (JSON bodies and authorization error
 * redirects): a `"` becomes `'` (descriptions quote what was sent), every other character RFC 6749
 * forbids becomes `?` (per code point, so an emoji is one `?`), and anything longer than
 * MAX_ERROR_DESCRIPTION ends with `...`. A description already in form, every fixed one, is
 * returned as it is.
 */
export function errorDescription(text: string): string {
  let out = OUTSIDE_DESCRIPTION_CHARS.test(text) ? text.replace(OUTSIDE_DESCRIPTION_CHARS_ALL, replacement) : text;
  if (out.length > MAX_ERROR_DESCRIPTION) out = `${out.slice(0, MAX_ERROR_DESCRIPTION - 3)}...`;
  return out;
}

/**
 * The one error type of the OAuth endpoints (RFC 6749 §5.2, RFC 7009, RFC 7662): rendered by one
 * error handler as `{ error, error_description }` with the status and headers it carries. The
 * description is put in its wire form here, so no error built from a client's input can carry it
 * out verbatim, whichever way it is rendered.
 */
export class OAuthError extends Refusal {
  override readonly name = 'OAuthError';
  constructor(status: number, error: string, description: string, headers: Record<string, string> = {}) {
    const safe = errorDescription(description);
    super(error, safe, { status, headers, message: `${error}: ${safe}` });
  }
}

/**
 * RFC 6749 §4.1.2.1: a refusal as the parameters of an authorization error response (a redirect, a form post, a web
 * message).
 */
export const authorizationErrorParams = (refusal: Refusal): { error: string; error_description: string } => ({
  error: refusal.error,
  error_description: refusal.description,
});

export const invalidRequest = (description: string) => new OAuthError(400, 'invalid_request', description);
export const invalidScope = (description: string) => new OAuthError(400, 'invalid_scope', description);
export const unauthorizedClient = (description: string) => new OAuthError(400, 'unauthorized_client', description);
export const unsupportedGrantType = (description: string) => new OAuthError(400, 'unsupported_grant_type', description);
export const invalidTarget = (description: string) => new OAuthError(400, 'invalid_target', description);

/** The challenge of a 401 invalid_client: HTTP Basic is the one header scheme clients may use here. */
const CLIENT_CHALLENGE = 'Basic realm="token-ledger", charset="UTF-8"';

/**
 * RFC 6749 §5.2: 401, with a WWW-Authenticate challenge whenever the client tried to authenticate
 * with the Authorization header, whatever scheme it used (Basic, Bearer, anything).
 */
export function invalidClient(description: string, triedAuthorizationHeader: boolean): OAuthError {
  return new OAuthError(
    401,
    'invalid_client',
    description,
    triedAuthorizationHeader ? { 'www-authenticate': CLIENT_CHALLENGE } : {},
  );
}
