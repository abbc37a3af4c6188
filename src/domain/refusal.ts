/**
 * Error codes of the RFCs this server answers with: RFC 6749 §4.1.2.1 and §5.2, RFC 7591 §3.2.2,
 * RFC 7009 §2.2.1, RFC 8707 §2, RFC 6750 §3.1, OpenID Connect Core §3.1.2.6, RFC 9101 §7, RFC 9396 §5.
 */
type RfcErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'unsupported_token_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_client_metadata'
  | 'invalid_redirect_uri'
  | 'access_denied'
  | 'login_required'
  | 'consent_required'
  | 'interaction_required'
  | 'invalid_request_uri'
  | 'invalid_request_object'
  | 'request_uri_not_supported'
  | 'invalid_authorization_details'
  | 'temporarily_unavailable'
  | 'server_error';

interface RefusalOptions {
  /** The HTTP status an HTTP edge answers with (400 unless given). */
  status?: number;
  /** Headers an HTTP edge sends with the answer (WWW-Authenticate, Retry-After). */
  headers?: Record<string, string>;
  /** A fault of the store, not of the request: the same request may succeed a moment later. */
  retryable?: boolean;
  /** The finer reason of a domain refusal (`user_exists`), which GraphQL answers as `extensions.reason`. */
  reason?: string;
  /** The message for logs and operators when it differs from the description sent to the caller. */
  message?: string;
  cause?: unknown;
}

/**
 * Every deliberate "no" of the system: a decider refusing a command, an OAuth endpoint refusing a
 * request, a store that cannot take a write now. Each edge (OAuth JSON, authorization redirect,
 * GraphQL, CLI, startup) renders it from these fields alone, so a new refusal is one new class or
 * one `throw`, never an edit of every edge. Anything that is not a Refusal is a fault of the code.
 */
export class Refusal extends Error {
  override readonly name: string = 'Refusal';
  readonly error: string;
  /** What the caller is told (`error_description`, the GraphQL message). */
  readonly description: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly retryable: boolean;
  readonly reason: string | undefined;

  constructor(error: RfcErrorCode | (string & {}), description: string, options: RefusalOptions = {}) {
    super(options.message ?? description, options.cause === undefined ? undefined : { cause: options.cause });
    this.error = error;
    this.description = description;
    this.status = options.status ?? 400;
    this.headers = options.headers ?? {};
    this.retryable = options.retryable ?? false;
    this.reason = options.reason;
  }

  /**
   * A server_error speaks of the server's insides (a damaged store, a broken invariant): the
   * operator reads it at startup, a caller over the wire gets only a generic server_error.
   */
  get internal(): boolean {
    return this.error === 'server_error';
  }
}

/**
 * The refusal class of a decider whose reasons are finer than the RFCs' codes: `code` is the reason (GraphQL's
 * `extensions.reason`), answered as the RFC error `errors` maps it to.
 */
export function refusalWithReasons<Reason extends string>(name: string, errors: Record<Reason, RfcErrorCode>) {
  return class extends Refusal {
    override readonly name: string = name;
    constructor(
      readonly code: Reason,
      message: string,
    ) {
      super(errors[code], message, { reason: code });
    }
  };
}

const RETRY_SHORTLY = 'the ledger cannot take this request now; retry shortly';

/**
 * The ledger or the views cannot serve the request now (locked, full disk, unreachable, behind):
 * 503 temporarily_unavailable with Retry-After, never a 200. The message, for the log, says why;
 * the caller is told only to retry.
 */
export class Unavailable extends Refusal {
  override readonly name: string = 'Unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super('temporarily_unavailable', RETRY_SHORTLY, {
      status: 503,
      headers: { 'retry-after': '1' },
      retryable: true,
      message,
      cause: options?.cause,
    });
  }
}
