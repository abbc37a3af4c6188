import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { KNOWN_CODES } from '../../src/http/routes/graphql.js';
import { startTestServer, type TestServer } from './server.js';

/**
 * Every error code a client of this server may see: RFC 6749 §4.1.2.1/§5.2, RFC 6750 §3.1, RFC 7009
 * §2.2.1, RFC 7662 (none of its own), OpenID Connect Core §3.1.2.6, and RFC 8707 §2 (invalid_target,
 * IANA "OAuth Extensions Error" registry). Anything else in an `error` field is a bug.
 */
export const REGISTERED_OAUTH_ERRORS: ReadonlySet<string> = new Set([
  // RFC 6749
  'invalid_request',
  'unauthorized_client',
  'access_denied',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
  'invalid_client',
  'invalid_grant',
  'unsupported_grant_type',
  // RFC 6750
  'invalid_token',
  'insufficient_scope',
  // RFC 7009
  'unsupported_token_type',
  // OpenID Connect Core 1.0
  'interaction_required',
  'login_required',
  'account_selection_required',
  'consent_required',
  'invalid_request_uri',
  'invalid_request_object',
  'request_not_supported',
  'request_uri_not_supported',
  'registration_not_supported',
  // RFC 8707
  'invalid_target',
  // RFC 9396
  'invalid_authorization_details',
  // RFC 8628
  'authorization_pending',
  'slow_down',
  'expired_token',
  // RFC 9449
  'invalid_dpop_proof',
  'use_dpop_nonce',
  // RFC 7591
  'invalid_redirect_uri',
  'invalid_client_metadata',
  'invalid_software_statement',
  'unapproved_software_statement',
]);

/** GraphQL error codes the management API may answer (INTERNAL_SERVER_ERROR is not among them). */
export const GRAPHQL_CODES: ReadonlySet<string> = KNOWN_CODES;

/** Runs per property: the given default, or TOKEN_LEDGER_FUZZ_RUNS for a longer hunt. */
export function fuzzRuns(defaultRuns: number): number {
  const raw = process.env.TOKEN_LEDGER_FUZZ_RUNS;
  return raw && /^\d+$/.test(raw) ? Number(raw) : defaultRuns;
}

/**
 * fast-check parameters: the run count, and a seed/path to replay from TOKEN_LEDGER_FUZZ_SEED and
 * TOKEN_LEDGER_FUZZ_PATH (fast-check prints both when a property fails).
 */
export function fuzzParameters(defaultRuns: number): fc.Parameters<unknown> {
  const seed = process.env.TOKEN_LEDGER_FUZZ_SEED;
  const path = process.env.TOKEN_LEDGER_FUZZ_PATH;
  return {
    numRuns: fuzzRuns(defaultRuns),
    // A property failing on a live server is usually slow to shrink; a few steps are enough to read it.
    endOnFailure: false,
    maxSkipsPerRun: 10,
    includeErrorInReport: true,
    interruptAfterTimeLimit: Number(process.env.TOKEN_LEDGER_FUZZ_TIME_LIMIT_MS ?? 0) || undefined,
    ...(seed !== undefined && /^-?\d+$/.test(seed) ? { seed: Number(seed) } : {}),
    ...(path ? { path } : {}),
  };
}

/** Throttling of failed client authentication would answer 429 long before the fuzzer is done. */
export const FUZZ_ENV = { THROTTLE_CLIENT_FAILURES: '1000000', THROTTLE_IP_FAILURES: '1000000' } as const;

export function startFuzzServer(env: Record<string, string> = {}): Promise<TestServer> {
  return startTestServer({ env: { ...FUZZ_ENV, ...env } });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  text: string;
  json: any;
}

export interface RawRequest {
  method: string;
  /** Request target as sent, bytes included: no encoding is applied. */
  target: string | Buffer;
  headers: Array<[string, string | Buffer]>;
  body?: Buffer | undefined;
  /** Send the body with Transfer-Encoding: chunked (in `chunks` pieces) instead of Content-Length. */
  chunked?: number | undefined;
  /** Omit the framing header altogether (a body the server must not wait for). */
  noFraming?: boolean;
}

/**
 * One HTTP/1.1 request over a fresh socket, bytes exactly as given: no client library would send a
 * NUL in a header, a lone surrogate, or a broken chunk, and those are what a fuzzer must send.
 */
export function rawRequest(server: TestServer, req: RawRequest, timeoutMs = 15_000): Promise<RawResponse> {
  const url = new URL(server.url);
  const parts: Buffer[] = [
    Buffer.from(`${req.method} `),
    Buffer.from(req.target),
    Buffer.from(` HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n`),
  ];
  for (const [name, value] of req.headers)
    parts.push(Buffer.from(`${name}: `), Buffer.from(value), Buffer.from('\r\n'));
  const body = req.body;
  if (body !== undefined && !req.noFraming) {
    if (req.chunked) parts.push(Buffer.from('Transfer-Encoding: chunked\r\n'));
    else parts.push(Buffer.from(`Content-Length: ${body.length}\r\n`));
  }
  parts.push(Buffer.from('\r\n'));
  if (body !== undefined) {
    if (req.chunked) {
      const size = Math.max(1, Math.ceil(body.length / req.chunked));
      for (let i = 0; i < body.length; i += size) {
        const piece = body.subarray(i, i + size);
        parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
      }
      parts.push(Buffer.from('0\r\n\r\n'));
    } else parts.push(body);
  }
  const bytes = Buffer.concat(parts);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(url.port), url.hostname);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${req.method} ${String(req.target).slice(0, 80)}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      try {
        resolve(parseResponse(all));
      } catch (err) {
        reject(new Error(`${(err as Error).message} to ${req.method} ${String(req.target).slice(0, 80)}`));
      }
    };
    socket.on('data', (d) => chunks.push(d));
    socket.on('end', done);
    // A server that answers before reading a huge body may reset the socket: the answer still counts.
    socket.on('error', (err) => {
      if (chunks.length > 0) return done();
      clearTimeout(timer);
      reject(err);
    });
    // No half-close: Node's server drops a request whose client already sent FIN. Connection: close ends it.
    socket.on('connect', () => socket.write(bytes));
  });
}

function parseResponse(all: Buffer): RawResponse {
  // Interim answers (100 Continue to an Expect header) come before the real one.
  while (/^HTTP\/1\.[01] 1\d\d /.test(all.subarray(0, 16).toString('latin1'))) {
    const end = all.indexOf('\r\n\r\n');
    if (end < 0) break;
    all = all.subarray(end + 4);
  }
  const split = all.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`no complete HTTP response (${all.length} bytes)`);
  const [statusLine, ...lines] = all.subarray(0, split).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]);
  if (!status) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let body = all.subarray(split + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  const text = body.toString('utf8');
  let json: unknown;
  if (/json/i.test(headers['content-type'] ?? '')) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status, headers, body, text, json };
}

function dechunk(buf: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
    if (!size) break;
    out.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** What an answer may carry as an error: a registered code, or none (an HTML page for a person). */
export function errorCodesIn(res: RawResponse): string[] {
  const codes: string[] = [];
  if (res.json && typeof res.json === 'object' && 'error' in res.json) codes.push(String(res.json.error));
  const location = res.headers.location;
  if (location) {
    let url: URL | undefined;
    try {
      url = new URL(location);
    } catch {
      url = undefined;
    }
    for (const e of url?.searchParams.getAll('error') ?? []) codes.push(e);
    for (const d of url?.searchParams.getAll('error_description') ?? [])
      if (!/^[\x20\x21\x23-\x5B\x5D-\x7E]{1,200}$/.test(d)) codes.push(`BAD_DESCRIPTION ${d}`);
  }
  if (/text\/html/i.test(res.headers['content-type'] ?? '')) {
    // form_post (a hidden input) and web_message (inert JSON) authorization responses.
    for (const m of res.text.matchAll(/name="error" value="([^"]*)"/g)) codes.push(m[1]);
    for (const m of res.text.matchAll(/"error":"([^"]*)"/g)) codes.push(m[1]);
  }
  return codes;
}

/** A rejection: an error status, or an authorization response that carries an error. */
export const isRejection = (res: RawResponse) => res.status >= 400 || errorCodesIn(res).length > 0;

/**
 * The properties every OAuth/OIDC endpoint keeps under any input: no 5xx, only registered error
 * codes, 429 only as temporarily_unavailable, and the WWW-Authenticate challenge of a 401 names
 * only registered codes too.
 */
export function assertOAuthAnswer(res: RawResponse, what: string): void {
  const show = () => `${what}\n→ ${res.status} ${JSON.stringify(res.headers)}\n${res.text.slice(0, 600)}`;
  assert.ok(res.status < 500, `a 5xx: ${show()}`);
  for (const code of errorCodesIn(res)) {
    assert.ok(REGISTERED_OAUTH_ERRORS.has(code), `unregistered error code ${JSON.stringify(code)}: ${show()}`);
    assert.notEqual(code, 'server_error', `server_error: ${show()}`);
  }
  const challenge = res.headers['www-authenticate'];
  if (challenge) {
    for (const m of challenge.matchAll(/error="([^"]*)"/g))
      assert.ok(REGISTERED_OAUTH_ERRORS.has(m[1]), `unregistered challenge: ${show()}`);
  }
  if (res.status === 429) {
    // An API answer says temporarily_unavailable; the login page tells a person when to try again.
    if (/text\/html/.test(res.headers['content-type'] ?? ''))
      assert.ok(res.headers['retry-after'], `429 page without Retry-After: ${show()}`);
    else assert.equal(res.json?.error, 'temporarily_unavailable', `429 without temporarily_unavailable: ${show()}`);
  }
  if (res.json && typeof res.json === 'object' && 'error' in res.json) {
    assert.equal(typeof res.json.error, 'string', show());
    for (const key of Object.keys(res.json))
      assert.ok(['error', 'error_description', 'error_uri'].includes(key), `unexpected field ${key}: ${show()}`);
    if (res.json.error_description !== undefined)
      assert.match(
        res.json.error_description,
        /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,200}$/,
        `error_description not RFC 6749: ${show()}`,
      );
  }
}

/** GraphQL's error format (GraphQL over HTTP): `errors` with messages and known codes, never an OAuth body. */
export function assertGraphQLAnswer(res: RawResponse, what: string): void {
  const show = () => `${what}\n→ ${res.status} ${res.text.slice(0, 600)}`;
  assert.ok(res.status < 500, `a 5xx: ${show()}`);
  if (res.status === 429) return assertOAuthAnswer(res, what);
  assert.ok(
    res.json && typeof res.json === 'object' && !Array.isArray(res.json),
    `not a GraphQL JSON answer: ${show()}`,
  );
  assert.ok(!('error' in res.json), `an OAuth-style error body from /graphql: ${show()}`);
  if (res.status >= 400)
    assert.ok(
      Array.isArray(res.json.errors) && res.json.errors.length > 0,
      `an error status without errors: ${show()}`,
    );
  for (const e of res.json.errors ?? []) {
    assert.equal(typeof e.message, 'string', show());
    const code = e.extensions?.code;
    assert.ok(
      typeof code === 'string' && GRAPHQL_CODES.has(code),
      `GraphQL error code ${JSON.stringify(code)}: ${show()}`,
    );
  }
}

/**
 * The records of a single failed attempt, written for every one the throttle admits, and of a user's refusal at the
 * consent page (an answer, recorded as given consent is): docs/audit-security-events.md.
 */
const ATTEMPT_RECORDS = new Set(['LoginFailed', 'ClientAuthenticationFailed', 'ConsentDenied']);

/**
 * Events appended after `before`, by type, but for the records of single failed attempts (written by design and
 * asserted in test/http/securityEvents.test.ts): empty when nothing else was written.
 */
export async function eventsSince(server: TestServer, before: bigint): Promise<string[]> {
  const head = await server.runtime.store.headPosition();
  if (head === before) return [];
  return (await server.runtime.store.readAll(before, 200)).map((e) => e.type).filter((t) => !ATTEMPT_RECORDS.has(t));
}

/**
 * The security writes a rejection must make: a replayed code or refresh token revokes its grant
 * (RFC 6749 §4.1.2, RFC 9700 §4.14.2), and a client assertion is spent once presented (RFC 7523 §3).
 */
const WRITES_A_REJECTION_MAY_MAKE = new Set([
  'AuthorizationCodeReuseDetected',
  'RefreshTokenReuseDetected',
  'GrantRevoked',
  'ClientAssertionUsed',
  // An expired pushed request presented at /authorize is recorded as expired (its history ends there).
  'PushedAuthorizationRequestExpired',
  // A request object's jti is spent once the request was accepted: a later refusal (a bad id_token_hint) keeps it.
  'RequestObjectUsed',
  // The failure that starts a block records it once (the throttle's bound on what a flood writes).
  'LoginThrottled',
  'ClientAuthenticationThrottled',
]);

export async function assertNoWriteOnRejection(
  server: TestServer,
  before: bigint,
  res: RawResponse,
  what: string,
  allowSecurityWrites = false,
): Promise<void> {
  if (!isRejection(res)) return;
  const written = await eventsSince(server, before);
  const unexpected = allowSecurityWrites ? written.filter((t) => !WRITES_A_REJECTION_MAY_MAKE.has(t)) : written;
  assert.deepEqual(
    unexpected,
    [],
    `a rejection wrote to the ledger: ${what}\n→ ${res.status} ${res.text.slice(0, 400)}`,
  );
}

/** The server still answers: nothing a request did took it down. */
export async function assertAlive(server: TestServer): Promise<void> {
  const res = await fetch(`${server.url}/healthz`);
  assert.equal(res.status, 200, 'the server no longer answers /healthz');
}
