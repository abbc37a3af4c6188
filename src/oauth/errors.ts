/**
 * The one error type of the OAuth endpoints (RFC 6749 §5.2, RFC 7009, RFC 7662): rendered by one
 * error handler as `{ error, error_description }` with the status and headers it carries.
 */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${error}: ${description}`);
  }
}

export const invalidRequest = (description: string) => new OAuthError(400, 'invalid_request', description);
export const invalidScope = (description: string) => new OAuthError(400, 'invalid_scope', description);
export const unauthorizedClient = (description: string) => new OAuthError(400, 'unauthorized_client', description);
export const unsupportedGrantType = (description: string) => new OAuthError(400, 'unsupported_grant_type', description);
export const invalidTarget = (description: string) => new OAuthError(400, 'invalid_target', description);

/** RFC 6749 §5.2: 401, with a WWW-Authenticate challenge when the client tried HTTP Basic. */
export function invalidClient(description: string, usedBasic: boolean): OAuthError {
  return new OAuthError(401, 'invalid_client', description, usedBasic ? { 'www-authenticate': 'Basic realm="token-ledger", charset="UTF-8"' } : {});
}

/** The ledger cannot take the write now: never a 200, always a hint to retry. */
export const temporarilyUnavailable = (description: string) =>
  new OAuthError(503, 'temporarily_unavailable', description, { 'retry-after': '1' });
